package store

import (
	"context"
	"database/sql"
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

// nullStr is Kanboard's null for an empty name.
func nullStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
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
	if err := ValidateText("comment", text, true); err != nil {
		return err
	}
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
	if err := validateComment(text); err != nil {
		return 0, nil, fmt.Errorf("store: create comment: %w", err)
	}
	if userID == 0 {
		userID = actor.UserID
	}
	return s.createOnTask(ctx, "create comment", EventCommentCreate, actor, taskID,
		func(ctx context.Context, tx *sql.Tx, _ TaskSnapshot) (int64, error) {
			if err := checkUser(ctx, tx, "user_id", userID); err != nil {
				return 0, err
			}
			now := s.now().Unix()
			return insert(ctx, tx, `INSERT INTO comments (task_id, user_id, comment, created_at, modified_at) VALUES (?, ?, ?, ?, ?)`,
				taskID, nullInt(userID), text, now, now)
		},
		func(ctx context.Context, tx *sql.Tx, id int64) (EventContent, error) {
			c, err := commentByID(ctx, tx, id)
			return EventContent{Comment: &c}, err
		})
}

// UpdateComment replaces a comment's text and writes comment.update. An
// unchanged text succeeds and writes nothing.
func (s *Store) UpdateComment(ctx context.Context, actor Actor, id int64, text string) ([]string, error) {
	return s.taskMutation(ctx, "update comment", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
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
		c, err = commentByID(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return s.emitOnTask(ctx, tx, actor, EventCommentUpdate, c.TaskID, EventContent{Comment: &c, Changes: map[string]any{"comment": text}})
	})
}

// DeleteComment removes a comment and writes comment.delete with it.
func (s *Store) DeleteComment(ctx context.Context, actor Actor, id int64) ([]string, error) {
	return s.taskMutation(ctx, "delete comment", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
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
		return s.emitOnTask(ctx, tx, actor, EventCommentDelete, c.TaskID, EventContent{Comment: &c})
	})
}
