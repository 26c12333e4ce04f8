package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// ProjectFile is the metadata of a file attached to a project (Kanboard's
// project_has_files); the content is read separately with ProjectFileData.
// The rules of task files apply: prepareFile, isImageType, etagOf.
type ProjectFile struct {
	ID        int64
	ProjectID int64
	UserID    int64
	Name      string
	MimeType  string
	Size      int64
	CreatedAt int64
	Username  string
	UserName  string // the user's display name
	ETag      string // hex MD5 of the content; empty when read without it
}

// IsImage tells whether the browser may show the file inline as a picture.
func (f ProjectFile) IsImage() bool { return isImageType(f.MimeType) }

// projectFileObject is Kanboard's project file: getProjectFile's result
// and the file of project_file.* events.
type projectFileObject struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Path      string `json:"path"`
	IsImage   int    `json:"is_image"`
	Size      int64  `json:"size"`
	UserID    int64  `json:"user_id"`
	Date      int64  `json:"date"`
	ProjectID int64  `json:"project_id"`
	ETag      string `json:"etag"`
	MimeType  string `json:"mime_type"`
}

func (f ProjectFile) object() projectFileObject {
	return projectFileObject{f.ID, f.Name, "projects/" + strconv.FormatInt(f.ProjectID, 10) + "/" + strconv.FormatInt(f.ID, 10),
		boolInt(f.IsImage()), f.Size, f.UserID, f.CreatedAt, f.ProjectID, f.ETag, f.MimeType}
}

// MarshalJSON writes Kanboard's project file object.
func (f ProjectFile) MarshalJSON() ([]byte, error) { return json.Marshal(f.object()) }

// ProjectFileListed is a file as getAllProjectFiles lists it: the object
// with who attached it (null names when no user is).
type ProjectFileListed ProjectFile

// MarshalJSON writes {id, name, path, is_image, project_id, date, user_id,
// size, username, user_name, etag}.
func (f ProjectFileListed) MarshalJSON() ([]byte, error) {
	o := ProjectFile(f).object()
	return json.Marshal(struct {
		ID        int64   `json:"id"`
		Name      string  `json:"name"`
		Path      string  `json:"path"`
		IsImage   int     `json:"is_image"`
		ProjectID int64   `json:"project_id"`
		Date      int64   `json:"date"`
		UserID    int64   `json:"user_id"`
		Size      int64   `json:"size"`
		Username  *string `json:"username"`
		UserName  *string `json:"user_name"`
		ETag      string  `json:"etag"`
	}{o.ID, o.Name, o.Path, o.IsImage, o.ProjectID, o.Date, o.UserID, o.Size, nullStr(f.Username), nullStr(f.UserName), o.ETag})
}

const (
	projectFileColumns = `f.id, f.project_id, COALESCE(f.user_id, 0), f.name, f.mime_type, f.size, f.created_at,
	COALESCE(u.username, ''), COALESCE(u.name, '')`
	projectFileFrom  = ` FROM project_files f LEFT JOIN users u ON u.id = f.user_id`
	projectFileQuery = `SELECT ` + projectFileColumns + projectFileFrom
)

func scanProjectFileWith(row interface{ Scan(...any) error }, extra ...any) (ProjectFile, error) {
	var f ProjectFile
	err := row.Scan(append([]any{&f.ID, &f.ProjectID, &f.UserID, &f.Name, &f.MimeType, &f.Size, &f.CreatedAt, &f.Username, &f.UserName}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return ProjectFile{}, ErrNotFound
	}
	return f, err
}

func scanProjectFile(row interface{ Scan(...any) error }) (ProjectFile, error) {
	return scanProjectFileWith(row)
}

// projectFileWithData reads a project file's metadata, ETag and content
// in one query.
func projectFileWithData(ctx context.Context, db q, id int64) (ProjectFile, []byte, error) {
	var data []byte
	f, err := scanProjectFileWith(db.QueryRowContext(ctx, `SELECT `+projectFileColumns+`, f.data`+projectFileFrom+` WHERE f.id = ?`, id), &data)
	if err != nil {
		return ProjectFile{}, nil, err
	}
	f.ETag = etagOf(data)
	return f, data, nil
}

// ProjectFiles lists a project's files (metadata only), by name as
// Kanboard lists them.
func (s *Store) ProjectFiles(ctx context.Context, projectID int64) ([]ProjectFile, error) {
	out, err := listRows(ctx, s.reader, []ProjectFile{}, scanProjectFile,
		projectFileQuery+` WHERE f.project_id = ? ORDER BY f.name, f.id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: list project files: %w", err)
	}
	return out, nil
}

// ProjectFileData reads a project file's metadata (with ETag) and content.
// projectID, when not zero, must be the file's project (Kanboard's check):
// another project's file is ErrNotFound.
func (s *Store) ProjectFileData(ctx context.Context, projectID, id int64) (ProjectFile, []byte, error) {
	f, data, err := projectFileWithData(ctx, s.reader, id)
	if err == nil && projectID != 0 && f.ProjectID != projectID {
		err = ErrNotFound
	}
	if err != nil {
		return ProjectFile{}, nil, fmt.Errorf("store: project file %d: %w", id, err)
	}
	return f, data, nil
}

// ProjectFileProject is the project a file belongs to, for the pages'
// access check.
func (s *Store) ProjectFileProject(ctx context.Context, id int64) (int64, error) {
	var pid int64
	err := s.reader.QueryRowContext(ctx, `SELECT project_id FROM project_files WHERE id = ?`, id).Scan(&pid)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("store: project file %d: %w", id, err)
	}
	return pid, nil
}

// CreateProjectFile attaches a file to a project, by the rules of task
// files (prepareFile), and writes project_file.create.
func (s *Store) CreateProjectFile(ctx context.Context, actor Actor, projectID int64, name, mimeType string, data []byte, maxBytes int64) (int64, []string, error) {
	name, mimeType, data, err := prepareFile(name, mimeType, data, maxBytes)
	if err != nil {
		return 0, nil, fmt.Errorf("store: create project file: %w", err)
	}
	var id int64
	events, err := s.taskMutation(ctx, "create project file", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		if _, err := projectByID(ctx, tx, projectID); err != nil {
			return nil, fmt.Errorf("project %d: %w", projectID, err)
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO project_files (project_id, user_id, name, mime_type, size, data, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, projectID, nullInt(actor.UserID), name, mimeType, len(data), data,
			s.now().Unix()).Scan(&id)
		if err != nil {
			return nil, err
		}
		f, err := scanProjectFile(tx.QueryRowContext(ctx, projectFileQuery+` WHERE f.id = ?`, id))
		if err != nil {
			return nil, err
		}
		// The content is in hand: hash it instead of reading it back.
		f.ETag = etagOf(data)
		return s.emitConfig(ctx, tx, actor, EventProjectFileCreate, projectID, EventContent{ProjectFile: &f})
	})
	return id, events, err
}

// DeleteProjectFile removes a project's file and writes project_file.delete
// with its metadata. projectID, when not zero, must be the file's project.
func (s *Store) DeleteProjectFile(ctx context.Context, actor Actor, projectID, id int64) ([]string, error) {
	return s.taskMutation(ctx, "delete project file", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		return s.deleteProjectFile(ctx, tx, actor, projectID, id)
	})
}

func (s *Store) deleteProjectFile(ctx context.Context, tx *sql.Tx, actor Actor, projectID, id int64) ([]string, error) {
	f, _, err := projectFileWithData(ctx, tx, id)
	if err == nil && projectID != 0 && f.ProjectID != projectID {
		err = ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("project file %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM project_files WHERE id = ?`, id); err != nil {
		return nil, err
	}
	return s.emitConfig(ctx, tx, actor, EventProjectFileDelete, f.ProjectID, EventContent{ProjectFile: &f})
}

// DeleteAllProjectFiles removes every file of a project, one
// project_file.delete each, in one transaction. No files is no change.
func (s *Store) DeleteAllProjectFiles(ctx context.Context, actor Actor, projectID int64) ([]string, error) {
	return s.taskMutation(ctx, "delete project files", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		if _, err := projectByID(ctx, tx, projectID); err != nil {
			return nil, fmt.Errorf("project %d: %w", projectID, err)
		}
		ids, err := listIDs(ctx, tx, `SELECT id FROM project_files WHERE project_id = ? ORDER BY id`, projectID)
		if err != nil {
			return nil, err
		}
		var events []string
		for _, id := range ids {
			ev, err := s.deleteProjectFile(ctx, tx, actor, projectID, id)
			if err != nil {
				return nil, err
			}
			events = append(events, ev...)
		}
		return events, nil
	})
}
