package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// MaxLinkLabel is the longest link label, in characters.
const MaxLinkLabel = 191

// Link is a kind of link between tasks, with its opposite: "blocks" and
// "is blocked by". OppositeID 0 is a link that is its own opposite
// ("relates to").
type Link struct {
	ID         int64  `json:"id"`
	Label      string `json:"label"`
	OppositeID int64  `json:"opposite_id"`
}

func scanLink(row interface{ Scan(...any) error }) (Link, error) {
	var l Link
	err := row.Scan(&l.ID, &l.Label, &l.OppositeID)
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, ErrNotFound
	}
	return l, err
}

func linkByID(ctx context.Context, db q, id int64) (Link, error) {
	return scanLink(db.QueryRowContext(ctx, `SELECT id, label, opposite_id FROM links WHERE id = ?`, id))
}

// opposite is the link a task link's other row carries.
func (l Link) opposite() int64 {
	if l.OppositeID == 0 {
		return l.ID
	}
	return l.OppositeID
}

// Links lists the link types by id.
func (s *Store) Links(ctx context.Context) ([]Link, error) {
	out, err := listRows(ctx, s.reader, []Link{}, scanLink, `SELECT id, label, opposite_id FROM links ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list links: %w", err)
	}
	return out, nil
}

// LinkByID reads one link type.
func (s *Store) LinkByID(ctx context.Context, id int64) (Link, error) {
	l, err := linkByID(ctx, s.reader, id)
	if err != nil {
		return Link{}, fmt.Errorf("store: link %d: %w", id, err)
	}
	return l, nil
}

// LinkByLabel reads the link type with exactly this label.
func (s *Store) LinkByLabel(ctx context.Context, label string) (Link, error) {
	l, err := scanLink(s.reader.QueryRowContext(ctx, `SELECT id, label, opposite_id FROM links WHERE label = ?`, label))
	if err != nil {
		return Link{}, fmt.Errorf("store: link %q: %w", label, err)
	}
	return l, nil
}

// OppositeLinkID is the id of a link type's opposite: the link itself when
// it has none or is unknown, as Kanboard answers.
func (s *Store) OppositeLinkID(ctx context.Context, id int64) (int64, error) {
	l, err := linkByID(ctx, s.reader, id)
	if errors.Is(err, ErrNotFound) {
		return id, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: link %d: %w", id, err)
	}
	return l.opposite(), nil
}

func validateLinkLabel(label string) error {
	return validateName("label", label, MaxLinkLabel)
}

// labelTaken maps a UNIQUE failure on links.label to ErrConflict.
func labelTaken(err error, label string) error {
	if isUniqueViolation(err) {
		return fmt.Errorf("a link labelled %q exists: %w", label, ErrConflict)
	}
	return err
}

// CreateLink adds a link type and, when opposite is not empty, its
// opposite, each naming the other. It returns the new link's id.
func (s *Store) CreateLink(ctx context.Context, label, opposite string) (int64, error) {
	if err := validateLinkLabel(label); err != nil {
		return 0, fmt.Errorf("store: create link: %w", err)
	}
	if opposite != "" {
		if err := validateLinkLabel(opposite); err != nil {
			return 0, fmt.Errorf("store: create link: opposite %w", err)
		}
		if opposite == label {
			return 0, fmt.Errorf("store: create link: %w", invalid("the opposite label is the label"))
		}
	}
	var id int64
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if id, err = insert(ctx, tx, `INSERT INTO links (label) VALUES (?)`, label); err != nil {
			return labelTaken(err, label)
		}
		if opposite == "" {
			return nil
		}
		oppID, err := insert(ctx, tx, `INSERT INTO links (label, opposite_id) VALUES (?, ?)`, opposite, id)
		if err != nil {
			return labelTaken(err, opposite)
		}
		_, err = tx.ExecContext(ctx, `UPDATE links SET opposite_id = ? WHERE id = ?`, oppID, id)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: create link: %w", err)
	}
	return id, nil
}

// UpdateLink renames a link type and sets its opposite (0: none). As in
// Kanboard, the opposite's own opposite is left as it is.
func (s *Store) UpdateLink(ctx context.Context, id, oppositeID int64, label string) error {
	if err := validateLinkLabel(label); err != nil {
		return fmt.Errorf("store: update link: %w", err)
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := linkByID(ctx, tx, id); err != nil {
			return fmt.Errorf("link %d: %w", id, err)
		}
		if oppositeID == id {
			return invalid("a link cannot be its own opposite; use 0 for none")
		}
		if oppositeID != 0 {
			if _, err := linkByID(ctx, tx, oppositeID); err != nil {
				return fmt.Errorf("opposite link %d: %w", oppositeID, err)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE links SET label = ?, opposite_id = ? WHERE id = ?`, label, oppositeID, id)
		return labelTaken(err, label)
	})
	if err != nil {
		return fmt.Errorf("store: update link: %w", err)
	}
	return nil
}

// DeleteLink removes a link type. Links naming it as their opposite get
// none, and the task links of this type go too, each with its
// task_internal_link.delete event.
func (s *Store) DeleteLink(ctx context.Context, actor Actor, id int64) ([]string, error) {
	return s.taskMutation(ctx, "delete link", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		if _, err := linkByID(ctx, tx, id); err != nil {
			return nil, fmt.Errorf("link %d: %w", id, err)
		}
		gone, err := listRows(ctx, tx, nil, scanTaskLink, taskLinkQuery+` WHERE tl.link_id = ? ORDER BY tl.id`, id)
		if err != nil {
			return nil, err
		}
		events, err := s.emitTaskLinks(ctx, tx, actor, EventTaskLinkDelete, gone...)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE links SET opposite_id = 0 WHERE opposite_id = ?`, id); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM links WHERE id = ?`, id); err != nil {
			return nil, err
		}
		return events, nil
	})
}

// TaskLink is one direction of a link between two tasks, as Kanboard's
// getTaskLinkById and its task_internal_link events show it.
type TaskLink struct {
	ID             int64  `json:"id"`
	OppositeTaskID int64  `json:"opposite_task_id"`
	TaskID         int64  `json:"task_id"`
	LinkID         int64  `json:"link_id"`
	Label          string `json:"label"`
	OppositeLinkID int64  `json:"opposite_link_id"`
}

const taskLinkQuery = `SELECT tl.id, tl.opposite_task_id, tl.task_id, l.id, l.label, l.opposite_id
	FROM task_links tl JOIN links l ON l.id = tl.link_id`

func scanTaskLink(row interface{ Scan(...any) error }) (TaskLink, error) {
	var tl TaskLink
	err := row.Scan(&tl.ID, &tl.OppositeTaskID, &tl.TaskID, &tl.LinkID, &tl.Label, &tl.OppositeLinkID)
	if errors.Is(err, sql.ErrNoRows) {
		return TaskLink{}, ErrNotFound
	}
	return tl, err
}

func taskLinkByID(ctx context.Context, db q, id int64) (TaskLink, error) {
	return scanTaskLink(db.QueryRowContext(ctx, taskLinkQuery+` WHERE tl.id = ?`, id))
}

// TaskLinkByID reads one direction of a task link.
func (s *Store) TaskLinkByID(ctx context.Context, id int64) (TaskLink, error) {
	tl, err := taskLinkByID(ctx, s.reader, id)
	if err != nil {
		return TaskLink{}, fmt.Errorf("store: task link %d: %w", id, err)
	}
	return tl, nil
}

// LinkedTask is a task's link as its task page and Kanboard's
// getAllTaskLinks show it: the link's label and the task at its other end
// (TaskID is that other task's id, as in Kanboard).
type LinkedTask struct {
	ID                   int64   `json:"id"`
	TaskID               int64   `json:"task_id"`
	Label                string  `json:"label"`
	Title                string  `json:"title"`
	IsActive             int     `json:"is_active"`
	ProjectID            int64   `json:"project_id"`
	ColumnID             int64   `json:"column_id"`
	ColorID              string  `json:"color_id"`
	DateCompleted        *int64  `json:"date_completed"`
	DateStarted          int64   `json:"date_started"`
	DateDue              int64   `json:"date_due"`
	TaskTimeSpent        float64 `json:"task_time_spent"`
	TaskTimeEstimated    float64 `json:"task_time_estimated"`
	TaskAssigneeID       int64   `json:"task_assignee_id"`
	TaskAssigneeUsername *string `json:"task_assignee_username"`
	TaskAssigneeName     *string `json:"task_assignee_name"`
	ColumnTitle          string  `json:"column_title"`
	ProjectName          string  `json:"project_name"`
}

func scanLinkedTask(row interface{ Scan(...any) error }) (LinkedTask, error) {
	var l LinkedTask
	err := row.Scan(&l.ID, &l.TaskID, &l.Label, &l.Title, &l.IsActive, &l.ProjectID, &l.ColumnID, &l.ColorID,
		&l.DateCompleted, &l.DateStarted, &l.DateDue, &l.TaskTimeSpent, &l.TaskTimeEstimated, &l.TaskAssigneeID,
		&l.TaskAssigneeUsername, &l.TaskAssigneeName, &l.ColumnTitle, &l.ProjectName)
	return l, err
}

// TaskLinks lists a task's links in Kanboard's order: by link type, then
// the other task's column (last column first), open before closed, by
// position and id.
func (s *Store) TaskLinks(ctx context.Context, taskID int64) ([]LinkedTask, error) {
	out, err := listRows(ctx, s.reader, []LinkedTask{}, scanLinkedTask, `SELECT tl.id, t.id, l.label, t.title,
		t.is_active, t.project_id, t.column_id, t.color_id, t.completed_at, t.date_started, t.date_due, t.time_spent,
		t.time_estimated, COALESCE(t.owner_id, 0), u.username, NULLIF(u.name, ''), col.title, p.name
		FROM task_links tl
		JOIN links l ON l.id = tl.link_id
		JOIN tasks t ON t.id = tl.opposite_task_id
		JOIN columns col ON col.id = t.column_id
		JOIN projects p ON p.id = t.project_id
		LEFT JOIN users u ON u.id = t.owner_id
		WHERE tl.task_id = ?
		ORDER BY l.id, col.position DESC, t.is_active DESC, t.position, t.id`, taskID)
	if err != nil {
		return nil, fmt.Errorf("store: list task links: %w", err)
	}
	return out, nil
}

// checkTaskLink checks what a task link names: both tasks, not the same
// one, and the link type, which it returns.
func checkTaskLink(ctx context.Context, tx *sql.Tx, taskID, oppositeTaskID, linkID int64) (Link, error) {
	for _, id := range []int64{taskID, oppositeTaskID} {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM tasks WHERE id = ?`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return Link{}, fmt.Errorf("task %d: %w", id, ErrNotFound)
		} else if err != nil {
			return Link{}, err
		}
	}
	if taskID == oppositeTaskID {
		return Link{}, invalid("a task cannot be linked to itself")
	}
	l, err := linkByID(ctx, tx, linkID)
	if err != nil {
		return Link{}, fmt.Errorf("link %d: %w", linkID, err)
	}
	return l, nil
}

// linkExists maps a UNIQUE failure on task_links to ErrConflict.
func linkExists(err error) error {
	if isUniqueViolation(err) {
		return fmt.Errorf("these tasks are linked so already: %w", ErrConflict)
	}
	return err
}

// emitTaskLinks writes task_internal_link.create_update or .delete for
// each direction of a link, each about its own task.
func (s *Store) emitTaskLinks(ctx context.Context, tx *sql.Tx, actor Actor, name string, links ...TaskLink) ([]string, error) {
	var events []string
	for _, tl := range links {
		evs, err := s.emitOnTask(ctx, tx, actor, name, tl.TaskID, EventContent{TaskLink: &tl})
		if err != nil {
			return nil, err
		}
		events = append(events, evs...)
	}
	return events, nil
}

// CreateTaskLink links two tasks: taskID "label" oppositeTaskID, and back
// with the opposite label, in one transaction that writes a
// task_internal_link.create_update event for each direction. It returns
// the id of the first direction.
func (s *Store) CreateTaskLink(ctx context.Context, actor Actor, taskID, oppositeTaskID, linkID int64) (int64, []string, error) {
	var id int64
	events, err := s.taskMutation(ctx, "create task link", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		l, err := checkTaskLink(ctx, tx, taskID, oppositeTaskID, linkID)
		if err != nil {
			return nil, err
		}
		ids := [2]int64{}
		for i, row := range [2][3]int64{{linkID, taskID, oppositeTaskID}, {l.opposite(), oppositeTaskID, taskID}} {
			id, err := insert(ctx, tx, `INSERT INTO task_links (link_id, task_id, opposite_task_id) VALUES (?, ?, ?)`,
				row[0], row[1], row[2])
			if err != nil {
				return nil, linkExists(err)
			}
			ids[i] = id
		}
		id = ids[0]
		return s.emitTaskLinkRows(ctx, tx, actor, EventTaskLinkCreateUpdate, ids[:]...)
	})
	if err != nil {
		return 0, nil, err
	}
	return id, events, nil
}

// emitTaskLinkRows reads task links back by id and writes name for each.
func (s *Store) emitTaskLinkRows(ctx context.Context, tx *sql.Tx, actor Actor, name string, ids ...int64) ([]string, error) {
	links := make([]TaskLink, 0, len(ids))
	for _, id := range ids {
		tl, err := taskLinkByID(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		links = append(links, tl)
	}
	return s.emitTaskLinks(ctx, tx, actor, name, links...)
}

// reverseOf finds the other direction of a task link; ok is false when
// it is missing (a database imported half-linked).
func reverseOf(ctx context.Context, tx *sql.Tx, tl TaskLink) (TaskLink, bool, error) {
	back := tl.OppositeLinkID
	if back == 0 {
		back = tl.LinkID
	}
	rev, err := scanTaskLink(tx.QueryRowContext(ctx, taskLinkQuery+` WHERE tl.task_id = ? AND tl.opposite_task_id = ? AND tl.link_id = ?`,
		tl.OppositeTaskID, tl.TaskID, back))
	if errors.Is(err, ErrNotFound) {
		return TaskLink{}, false, nil
	}
	return rev, err == nil, err
}

// UpdateTaskLink rewrites a task link, which must be on taskID, and its
// other direction: taskID "label of linkID" oppositeTaskID. Both
// directions get task_internal_link.create_update.
func (s *Store) UpdateTaskLink(ctx context.Context, actor Actor, id, taskID, oppositeTaskID, linkID int64) ([]string, error) {
	return s.taskMutation(ctx, "update task link", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		old, err := taskLinkByID(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("task link %d: %w", id, err)
		}
		if old.TaskID != taskID {
			return nil, fmt.Errorf("task link %d is not on task %d: %w", id, taskID, ErrNotFound)
		}
		l, err := checkTaskLink(ctx, tx, taskID, oppositeTaskID, linkID)
		if err != nil {
			return nil, err
		}
		rev, hasRev, err := reverseOf(ctx, tx, old)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE task_links SET link_id = ?, opposite_task_id = ? WHERE id = ?`,
			linkID, oppositeTaskID, id); err != nil {
			return nil, linkExists(err)
		}
		revID := rev.ID
		if hasRev {
			_, err = tx.ExecContext(ctx, `UPDATE task_links SET link_id = ?, task_id = ?, opposite_task_id = ? WHERE id = ?`,
				l.opposite(), oppositeTaskID, taskID, rev.ID)
		} else {
			revID, err = insert(ctx, tx, `INSERT INTO task_links (link_id, task_id, opposite_task_id) VALUES (?, ?, ?)`,
				l.opposite(), oppositeTaskID, taskID)
		}
		if err != nil {
			return nil, linkExists(err)
		}
		return s.emitTaskLinkRows(ctx, tx, actor, EventTaskLinkCreateUpdate, id, revID)
	})
}

// DeleteTaskLink removes a task link and its other direction, writing
// task_internal_link.delete for each.
func (s *Store) DeleteTaskLink(ctx context.Context, actor Actor, id int64) ([]string, error) {
	return s.taskMutation(ctx, "delete task link", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		tl, err := taskLinkByID(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("task link %d: %w", id, err)
		}
		gone := []TaskLink{tl}
		if rev, ok, err := reverseOf(ctx, tx, tl); err != nil {
			return nil, err
		} else if ok {
			gone = append(gone, rev)
		}
		// The events carry the task as it is while the link still exists.
		events, err := s.emitTaskLinks(ctx, tx, actor, EventTaskLinkDelete, gone...)
		if err != nil {
			return nil, err
		}
		for _, g := range gone {
			if _, err := tx.ExecContext(ctx, `DELETE FROM task_links WHERE id = ?`, g.ID); err != nil {
				return nil, err
			}
		}
		return events, nil
	})
}
