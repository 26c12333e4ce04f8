package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Comment is a comment on a task, with its author's names.
type Comment struct {
	ID         int64
	TaskID     int64
	UserID     int64 // 0 when written by an integration or a deleted user
	Comment    string
	CreatedAt  int64
	ModifiedAt int64
	Username   string
	Name       string
	Email      string
}

// MarshalJSON writes Kanboard's comment object (getComment, webhooks).
func (c Comment) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID               int64   `json:"id"`
		TaskID           int64   `json:"task_id"`
		UserID           int64   `json:"user_id"`
		DateCreation     int64   `json:"date_creation"`
		DateModification int64   `json:"date_modification"`
		Comment          string  `json:"comment"`
		Reference        string  `json:"reference"`
		Visibility       string  `json:"visibility"`
		Username         *string `json:"username"`
		Name             *string `json:"name"`
		Email            *string `json:"email"`
		AvatarPath       *string `json:"avatar_path"`
	}{c.ID, c.TaskID, c.UserID, c.CreatedAt, c.ModifiedAt, c.Comment, "", "app-user",
		nullStr(c.Username), nullStr(c.Name), nullStr(c.Email), nil})
}

// nullStr is Kanboard's null for an empty name.
func nullStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CommentEventData is event_data of comment.* events: the flat fields of
// Kanboard's documentation, the comment object and the task snapshot.
type CommentEventData struct {
	TaskID  int64          `json:"task_id"`
	ID      int64          `json:"id"`
	UserID  int64          `json:"user_id"`
	Comment Comment        `json:"comment"`
	Changes map[string]any `json:"changes,omitempty"`
	Task    TaskSnapshot   `json:"task"`
}

const commentQuery = `SELECT c.id, c.task_id, COALESCE(c.user_id, 0), c.comment, c.created_at, c.modified_at,
	COALESCE(u.username, ''), COALESCE(u.name, ''), COALESCE(u.email, '')
	FROM comments c LEFT JOIN users u ON u.id = c.user_id`

func scanComment(row interface{ Scan(...any) error }) (Comment, error) {
	var c Comment
	err := row.Scan(&c.ID, &c.TaskID, &c.UserID, &c.Comment, &c.CreatedAt, &c.ModifiedAt, &c.Username, &c.Name, &c.Email)
	if errors.Is(err, sql.ErrNoRows) {
		return Comment{}, ErrNotFound
	}
	return c, err
}

func commentByID(ctx context.Context, db q, id int64) (Comment, error) {
	return scanComment(db.QueryRowContext(ctx, commentQuery+` WHERE c.id = ?`, id))
}

// CommentByID reads one comment.
func (s *Store) CommentByID(ctx context.Context, id int64) (Comment, error) {
	c, err := commentByID(ctx, s.reader, id)
	if err != nil {
		return Comment{}, fmt.Errorf("store: comment %d: %w", id, err)
	}
	return c, nil
}

// Comments lists a task's comments, oldest first.
func (s *Store) Comments(ctx context.Context, taskID int64) ([]Comment, error) {
	out, err := listRows(ctx, s.reader, []Comment{}, scanComment, commentQuery+` WHERE c.task_id = ? ORDER BY c.created_at, c.id`, taskID)
	if err != nil {
		return nil, fmt.Errorf("store: list comments: %w", err)
	}
	return out, nil
}

func validateComment(text string) error {
	if strings.TrimSpace(text) == "" {
		return invalid("comment is empty")
	}
	if len(text) > 1<<20 {
		return invalid("comment is longer than 1 MiB")
	}
	return nil
}

// mayEditComment: a member changes only their own comments; admins,
// integrations and the system any comment.
func mayEditComment(actor Actor, c Comment) error {
	if actor.UserID == 0 || actor.IsAdmin || actor.UserID == c.UserID {
		return nil
	}
	return fmt.Errorf("comment %d belongs to another user: %w", c.ID, ErrUnauthorized)
}

// CreateComment adds a comment to a task and writes comment.create. userID
// 0 means the acting user (none for an integration).
func (s *Store) CreateComment(ctx context.Context, actor Actor, taskID, userID int64, text string) (int64, []string, error) {
	var id int64
	events, err := s.taskMutation(ctx, "create comment", func(tx *sql.Tx) ([]string, error) {
		if err := validateComment(text); err != nil {
			return nil, err
		}
		if userID == 0 {
			userID = actor.UserID
		}
		if err := checkUser(ctx, tx, "user_id", userID); err != nil {
			return nil, err
		}
		snap, err := taskSnapshot(ctx, tx, taskID)
		if err != nil {
			return nil, fmt.Errorf("task %d: %w", taskID, err)
		}
		now := s.now().Unix()
		res, err := tx.ExecContext(ctx, `INSERT INTO comments (task_id, user_id, comment, created_at, modified_at) VALUES (?, ?, ?, ?, ?)`,
			taskID, nullInt(userID), text, now, now)
		if err != nil {
			return nil, err
		}
		if id, err = res.LastInsertId(); err != nil {
			return nil, err
		}
		ev, err := s.emitComment(ctx, tx, actor, EventCommentCreate, id, nil, &snap, nil)
		if err != nil {
			return nil, err
		}
		return []string{ev}, nil
	})
	if err != nil {
		return 0, nil, err
	}
	return id, events, nil
}

// emitComment writes a comment event; c is the comment when it is already
// deleted, known its task's snapshot when already read; nil reads them.
func (s *Store) emitComment(ctx context.Context, tx *sql.Tx, actor Actor, name string, id int64, c *Comment, known *TaskSnapshot, changes map[string]any) (string, error) {
	if c == nil {
		got, err := commentByID(ctx, tx, id)
		if err != nil {
			return "", err
		}
		c = &got
	}
	snap, err := snapshotOnce(ctx, tx, c.TaskID, known)
	if err != nil {
		return "", err
	}
	return s.emit(ctx, tx, actor, name, snap.ProjectID, c.TaskID,
		CommentEventData{TaskID: c.TaskID, ID: c.ID, UserID: c.UserID, Comment: *c, Changes: changes, Task: snap})
}

// UpdateComment replaces a comment's text and writes comment.update. An
// unchanged text succeeds and writes nothing.
func (s *Store) UpdateComment(ctx context.Context, actor Actor, id int64, text string) ([]string, error) {
	return s.taskMutation(ctx, "update comment", func(tx *sql.Tx) ([]string, error) {
		if err := validateComment(text); err != nil {
			return nil, err
		}
		c, err := commentByID(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("comment %d: %w", id, err)
		}
		if err := mayEditComment(actor, c); err != nil {
			return nil, err
		}
		if c.Comment == text {
			return nil, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE comments SET comment = ?, modified_at = ? WHERE id = ?`, text, s.now().Unix(), id); err != nil {
			return nil, err
		}
		ev, err := s.emitComment(ctx, tx, actor, EventCommentUpdate, id, nil, nil, map[string]any{"comment": text})
		if err != nil {
			return nil, err
		}
		return []string{ev}, nil
	})
}

// DeleteComment removes a comment and writes comment.delete with it.
func (s *Store) DeleteComment(ctx context.Context, actor Actor, id int64) ([]string, error) {
	return s.taskMutation(ctx, "delete comment", func(tx *sql.Tx) ([]string, error) {
		c, err := commentByID(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("comment %d: %w", id, err)
		}
		if err := mayEditComment(actor, c); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM comments WHERE id = ?`, id); err != nil {
			return nil, err
		}
		ev, err := s.emitComment(ctx, tx, actor, EventCommentDelete, id, &c, nil, nil)
		if err != nil {
			return nil, err
		}
		return []string{ev}, nil
	})
}
