package store

import (
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"
)

// TaskFile is the metadata of a file attached to a task; the content is
// read separately with FileData.
type TaskFile struct {
	ID        int64
	TaskID    int64
	UserID    int64
	Name      string
	MimeType  string
	Size      int64
	CreatedAt int64
	Username  string
	UserName  string // the user's display name
	// ETag is the hex MD5 of the content, as Kanboard's etag.
	ETag string
}

// IsImage tells whether the browser may show the file inline as a picture.
func (f TaskFile) IsImage() bool { return isImageType(f.MimeType) }

// isImageType is the one rule for which files (task or project) a browser
// may show inline.
func isImageType(mimeType string) bool {
	switch mimeType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// NewFile is a file to attach. ProjectID, when not zero, must be the task's
// project (Kanboard's createTaskFile check). An empty MimeType is guessed
// from the name, then from the content.
type NewFile struct {
	TaskID    int64
	ProjectID int64
	Name      string
	MimeType  string
	Data      []byte
}

// fileColumns, read by scanFile, are of a file f and its user u (fileFrom).
const (
	fileColumns = `f.id, f.task_id, COALESCE(f.user_id, 0), f.name, f.mime_type, f.size, f.created_at,
	COALESCE(u.username, ''), COALESCE(u.name, '')`
	fileFrom  = ` FROM task_files f LEFT JOIN users u ON u.id = f.user_id`
	fileQuery = `SELECT ` + fileColumns + fileFrom
)

func scanFile(row interface{ Scan(...any) error }) (TaskFile, error) {
	return scanFileWith(row)
}

// scanFileWith is scanFile for a query that selects more after fileColumns,
// read into extra.
func scanFileWith(row interface{ Scan(...any) error }, extra ...any) (TaskFile, error) {
	var f TaskFile
	err := row.Scan(append([]any{&f.ID, &f.TaskID, &f.UserID, &f.Name, &f.MimeType, &f.Size, &f.CreatedAt, &f.Username, &f.UserName}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return TaskFile{}, ErrNotFound
	}
	return f, err
}

// fileByID reads a file's metadata, without its content or ETag.
func fileByID(ctx context.Context, db q, id int64) (TaskFile, error) {
	return scanFile(db.QueryRowContext(ctx, fileQuery+` WHERE f.id = ?`, id))
}

// fileWithETag reads a file's metadata and computes its ETag from the content.
func fileWithETag(ctx context.Context, db q, id int64) (TaskFile, []byte, error) {
	var data []byte
	f, err := scanFileWith(db.QueryRowContext(ctx, `SELECT `+fileColumns+`, f.data`+fileFrom+` WHERE f.id = ?`, id), &data)
	if err != nil {
		return TaskFile{}, nil, err
	}
	f.ETag = etagOf(data)
	return f, data, nil
}

// etagOf is a file's ETag: the hex MD5 of its content, as Kanboard's etag.
func etagOf(data []byte) string {
	sum := md5.Sum(data)
	return hex.EncodeToString(sum[:])
}

// Files lists a task's files (metadata only), oldest first.
func (s *Store) Files(ctx context.Context, taskID int64) ([]TaskFile, error) {
	out, err := listRows(ctx, s.reader, []TaskFile{}, scanFile, fileQuery+` WHERE f.task_id = ? ORDER BY f.id`, taskID)
	if err != nil {
		return nil, fmt.Errorf("store: list files: %w", err)
	}
	return out, nil
}

// File reads a file's metadata without its content (so ETag is empty): what
// a caller needs to find the file's task without loading the data.
func (s *Store) File(ctx context.Context, id int64) (TaskFile, error) {
	f, err := fileByID(ctx, s.reader, id)
	if err != nil {
		return TaskFile{}, fmt.Errorf("store: file %d: %w", id, err)
	}
	return f, nil
}

// FileData reads a file's metadata (with ETag) and content, for download.
func (s *Store) FileData(ctx context.Context, id int64) (TaskFile, []byte, error) {
	f, data, err := fileWithETag(ctx, s.reader, id)
	if err != nil {
		return TaskFile{}, nil, fmt.Errorf("store: file %d: %w", id, err)
	}
	return f, data, nil
}

// cleanFileName keeps the last path element of a name and refuses names a
// download could not carry.
func cleanFileName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if name == "" || name == "." || name == ".." {
		return "", invalid("file name is required")
	}
	if !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", invalid("file name has control characters")
	}
	if utf8.RuneCountInString(name) > 255 {
		return "", invalid("file name is longer than 255 characters")
	}
	return name, nil
}

// guessMimeType is a file's type from its name, else from its content.
func guessMimeType(name string, data []byte) string {
	if mt := mime.TypeByExtension(path.Ext(name)); mt != "" {
		return mt
	}
	return http.DetectContentType(data)
}

// prepareFile applies the rules every stored file (task or project)
// follows: a clean name, at most maxBytes (0: no bound), a MIME type
// guessed when none is given, never a NULL content.
func prepareFile(name, mimeType string, data []byte, maxBytes int64) (string, string, []byte, error) {
	name, err := cleanFileName(name)
	if err == nil && maxBytes > 0 && int64(len(data)) > maxBytes {
		err = invalid("file is larger than %d bytes", maxBytes)
	}
	if err != nil {
		return "", "", nil, err
	}
	if mimeType == "" {
		mimeType = guessMimeType(name, data)
	}
	if data == nil {
		data = []byte{}
	}
	return name, mimeType, data, nil
}

// CreateFile attaches a file (stored as a BLOB) to a task and writes
// file.create. maxBytes bounds the content (0: no bound).
func (s *Store) CreateFile(ctx context.Context, actor Actor, n NewFile, maxBytes int64) (int64, []string, error) {
	name, mt, data, err := prepareFile(n.Name, n.MimeType, n.Data, maxBytes)
	if err != nil {
		return 0, nil, fmt.Errorf("store: create file: %w", err)
	}
	return s.createOnTask(ctx, "create file", EventFileCreate, actor, n.TaskID,
		func(ctx context.Context, tx *sql.Tx, task TaskSnapshot) (int64, error) {
			if n.ProjectID != 0 && n.ProjectID != task.ProjectID {
				return 0, invalid("task %d is not in project %d", n.TaskID, n.ProjectID)
			}
			return insert(ctx, tx, `INSERT INTO task_files (task_id, user_id, name, mime_type, size, data, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, n.TaskID, nullInt(actor.UserID), name, mt, len(data), data, s.now().Unix())
		},
		func(ctx context.Context, tx *sql.Tx, id int64) (EventContent, error) {
			f, err := fileByID(ctx, tx, id)
			// The content is in hand: hash it instead of reading it back.
			f.ETag = etagOf(data)
			return EventContent{File: &f}, err
		})
}

// DeleteTaskFiles removes every file of a task, each with its
// file.delete event, in one transaction (Kanboard's removeAllTaskFiles).
// A task without files is fine; an unknown task is ErrNotFound.
func (s *Store) DeleteTaskFiles(ctx context.Context, actor Actor, taskID int64) ([]string, error) {
	return s.taskMutation(ctx, "delete task files", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		// Deleting files changes nothing of the task's row: read once, it
		// is what every file.delete event shows.
		task, err := s.taskSnapshot(ctx, tx, taskID)
		if err != nil {
			return nil, fmt.Errorf("task %d: %w", taskID, err)
		}
		ids, err := listIDs(ctx, tx, `SELECT id FROM task_files WHERE task_id = ? ORDER BY id`, taskID)
		if err != nil {
			return nil, err
		}
		var events []string
		for _, id := range ids {
			f, _, err := fileWithETag(ctx, tx, id)
			if err != nil {
				return nil, err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM task_files WHERE id = ?`, id); err != nil {
				return nil, err
			}
			evs, err := s.emitAbout(ctx, tx, actor, EventFileDelete, task, EventContent{File: &f})
			if err != nil {
				return nil, err
			}
			events = append(events, evs...)
		}
		return events, nil
	})
}

// DeleteFile removes a file and writes file.delete with its metadata.
func (s *Store) DeleteFile(ctx context.Context, actor Actor, id int64) ([]string, error) {
	return s.taskMutation(ctx, "delete file", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		f, _, err := fileWithETag(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("file %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM task_files WHERE id = ?`, id); err != nil {
			return nil, err
		}
		return s.emitOnTask(ctx, tx, actor, EventFileDelete, f.TaskID, EventContent{File: &f})
	})
}
