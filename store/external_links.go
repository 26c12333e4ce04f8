package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// The kinds of external link (Kanboard's providers) and "auto", which
// picks one from the URL.
const (
	ExternalLinkAuto       = "auto"
	ExternalLinkAttachment = "attachment"
	ExternalLinkFile       = "file"
	ExternalLinkWeb        = "weblink"
)

// ExternalLinkTypes are the kinds in Kanboard's order, with their names.
var ExternalLinkTypes = []struct{ ID, Name string }{
	{ExternalLinkAuto, "Auto"}, {ExternalLinkAttachment, "Attachment"},
	{ExternalLinkFile, "Local File"}, {ExternalLinkWeb, "Web Link"},
}

// ExternalLinkDependencies are the dependencies Kanboard's providers
// offer. Like Kanboard, Hookboard stores any other one it is given.
var ExternalLinkDependencies = []struct{ ID, Name string }{{"related", "Related"}}

// Limits of an external link's fields, in characters (Kanboard's).
const (
	MaxExternalLinkURL        = 65535
	MaxExternalLinkTitle      = 65535
	MaxExternalLinkDependency = 100
)

// ExternalLink is a task's link to something outside the board, as
// Kanboard's getExternalTaskLinkById shows it; the creator's names are for
// lists.
type ExternalLink struct {
	ID               int64   `json:"id"`
	LinkType         string  `json:"link_type"`
	Dependency       string  `json:"dependency"`
	Title            string  `json:"title"`
	URL              string  `json:"url"`
	DateCreation     int64   `json:"date_creation"`
	DateModification int64   `json:"date_modification"`
	TaskID           int64   `json:"task_id"`
	CreatorID        int64   `json:"creator_id"`
	CreatorUsername  *string `json:"-"`
	CreatorName      *string `json:"-"`
}

const externalLinkQuery = `SELECT e.id, e.link_type, e.dependency, e.title, e.url, e.created_at, e.modified_at,
	e.task_id, COALESCE(e.creator_id, 0), u.username, NULLIF(u.name, '')
	FROM task_external_links e LEFT JOIN users u ON u.id = e.creator_id`

func scanExternalLink(row interface{ Scan(...any) error }) (ExternalLink, error) {
	var e ExternalLink
	err := row.Scan(&e.ID, &e.LinkType, &e.Dependency, &e.Title, &e.URL, &e.DateCreation, &e.DateModification,
		&e.TaskID, &e.CreatorID, &e.CreatorUsername, &e.CreatorName)
	if errors.Is(err, sql.ErrNoRows) {
		return ExternalLink{}, ErrNotFound
	}
	return e, err
}

// externalLinkOn reads external link id of task taskID: ErrNotFound when
// it is unknown or on another task.
func externalLinkOn(ctx context.Context, db q, taskID, id int64) (ExternalLink, error) {
	e, err := scanExternalLink(db.QueryRowContext(ctx, externalLinkQuery+` WHERE e.id = ? AND e.task_id = ?`, id, taskID))
	if err != nil {
		return ExternalLink{}, fmt.Errorf("external link %d of task %d: %w", id, taskID, err)
	}
	return e, nil
}

// ExternalLink reads external link id of task taskID.
func (s *Store) ExternalLink(ctx context.Context, taskID, id int64) (ExternalLink, error) {
	e, err := externalLinkOn(ctx, s.reader, taskID, id)
	if err != nil {
		return ExternalLink{}, fmt.Errorf("store: %w", err)
	}
	return e, nil
}

// ExternalLinks lists a task's external links by title.
func (s *Store) ExternalLinks(ctx context.Context, taskID int64) ([]ExternalLink, error) {
	out, err := listRows(ctx, s.reader, []ExternalLink{}, scanExternalLink,
		externalLinkQuery+` WHERE e.task_id = ? ORDER BY e.title, e.id`, taskID)
	if err != nil {
		return nil, fmt.Errorf("store: list external links: %w", err)
	}
	return out, nil
}

// urlScheme is an RFC 3986 scheme.
var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

// validURL is PHP's FILTER_VALIDATE_URL, which Kanboard checks: a scheme,
// a host unless the scheme is file, mailto or news, and no spaces.
func validURL(raw string) bool {
	if strings.ContainsAny(raw, " \t\r\n") {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || !urlScheme.MatchString(u.Scheme) {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "file", "mailto", "news":
		return true
	}
	return u.Host != ""
}

// attachmentURL is Kanboard's attachment provider: a web address whose
// path ends in a file extension that is not a page's.
var attachmentURL = regexp.MustCompile(`^https?://.*/.*\.([^/]+)$`)

var webOrFTP = regexp.MustCompile(`^(http|ftp)s?://`)

var pageExtensions = []string{"html", "htm", "xhtml", "php", "jsp", "do", "action", "asp", "aspx", "cgi"}

func isWebURL(raw string) bool {
	return strings.HasPrefix(raw, "http://") || strings.HasPrefix(raw, "https://")
}

// providerMatches is each of Kanboard's providers' test of a URL.
func providerMatches(kind, raw string) bool {
	switch kind {
	case ExternalLinkFile:
		return strings.Contains(raw, "://") && !webOrFTP.MatchString(raw)
	case ExternalLinkAttachment:
		m := attachmentURL.FindStringSubmatch(raw)
		return m != nil && !slices.Contains(pageExtensions, m[1])
	case ExternalLinkWeb:
		return isWebURL(raw) && validURL(raw)
	}
	return false
}

// DetectExternalLink decides the kind of an external link to rawURL:
// kind "auto" tries Kanboard's providers in its order (file, attachment,
// web link); another kind must be one whose provider takes the URL. It
// also returns the title a link gets when given none: the file name for
// files and attachments, host and path for a web page. (Kanboard fetches a
// web page's <title>; Hookboard makes no request to what a user names.)
func DetectExternalLink(rawURL, kind string) (linkType, defaultTitle string, err error) {
	switch kind {
	case ExternalLinkAuto, "":
		for _, k := range []string{ExternalLinkFile, ExternalLinkAttachment, ExternalLinkWeb} {
			if providerMatches(k, rawURL) {
				linkType = k
				break
			}
		}
		if linkType == "" {
			return "", "", invalid("no kind of external link takes %q: give a web address (http:// or https://) or a file:// address", rawURL)
		}
	case ExternalLinkAttachment, ExternalLinkFile, ExternalLinkWeb:
		if !providerMatches(kind, rawURL) {
			return "", "", invalid("%q is not a %s address", rawURL, kind)
		}
		linkType = kind
	default:
		return "", "", invalid("unknown kind of external link %q", kind)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", "", invalid("the URL is not valid: %v", err)
	}
	switch {
	case linkType != ExternalLinkWeb:
		defaultTitle = path.Base(u.Path)
		if defaultTitle == "." || defaultTitle == "/" {
			defaultTitle = ""
		}
	case u.Host != "" && u.Path != "":
		defaultTitle = u.Host + u.Path
	}
	if defaultTitle == "" {
		defaultTitle = rawURL
	}
	return linkType, defaultTitle, nil
}

// NewExternalLink is an external link to add to a task. Type may be
// "auto"; an empty Title takes DetectExternalLink's.
type NewExternalLink struct {
	TaskID     int64
	URL        string
	Dependency string
	Type       string
	Title      string
}

func validateExternalLink(e ExternalLink) error {
	if err := ValidateText("url", e.URL, false); err != nil {
		return err
	}
	if utf8.RuneCountInString(e.URL) > MaxExternalLinkURL || !validURL(e.URL) {
		return invalid("the URL %q is not valid", e.URL)
	}
	if err := validateName("title", e.Title, MaxExternalLinkTitle); err != nil {
		return err
	}
	return validateName("dependency", e.Dependency, MaxExternalLinkDependency)
}

// CreateExternalLink adds an external link to a task and writes
// task_external_link.create.
func (s *Store) CreateExternalLink(ctx context.Context, actor Actor, n NewExternalLink) (int64, []string, error) {
	kind, title, err := DetectExternalLink(n.URL, n.Type)
	if err == nil {
		if n.Title != "" {
			title = n.Title
		}
		err = validateExternalLink(ExternalLink{URL: n.URL, Title: title, Dependency: n.Dependency})
	}
	if err != nil {
		return 0, nil, fmt.Errorf("store: create external link: %w", err)
	}
	return s.createOnTask(ctx, "create external link", EventExternalLinkCreate, actor, n.TaskID,
		func(ctx context.Context, tx *sql.Tx, _ TaskSnapshot) (int64, error) {
			now := s.now().Unix()
			return insert(ctx, tx, `INSERT INTO task_external_links
				(task_id, link_type, dependency, title, url, creator_id, created_at, modified_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, n.TaskID, kind, n.Dependency, title, n.URL, nullInt(actor.UserID), now, now)
		},
		func(ctx context.Context, tx *sql.Tx, id int64) (EventContent, error) {
			e, err := externalLinkOn(ctx, tx, n.TaskID, id)
			return EventContent{ExternalLink: &e}, err
		})
}

// ExternalLinkUpdate holds the fields to change; nil leaves one as it is.
// The kind stays what it was, as in Kanboard.
type ExternalLinkUpdate struct {
	Title, URL, Dependency *string
}

// UpdateExternalLink changes external link id of task taskID and writes
// task_external_link.update with the changed fields. Nothing changed: no
// event.
func (s *Store) UpdateExternalLink(ctx context.Context, actor Actor, taskID, id int64, u ExternalLinkUpdate) ([]string, error) {
	return s.taskMutation(ctx, "update external link", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		old, err := externalLinkOn(ctx, tx, taskID, id)
		if err != nil {
			return nil, err
		}
		e := old
		changes := map[string]any{}
		for _, f := range []struct {
			name string
			to   *string
			dst  *string
		}{{"title", u.Title, &e.Title}, {"url", u.URL, &e.URL}, {"dependency", u.Dependency, &e.Dependency}} {
			if f.to != nil && *f.to != *f.dst {
				*f.dst = *f.to
				changes[f.name] = *f.to
			}
		}
		if err := validateExternalLink(e); err != nil {
			return nil, err
		}
		if len(changes) == 0 {
			return nil, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE task_external_links SET title = ?, url = ?, dependency = ?, modified_at = ?
			WHERE id = ?`, e.Title, e.URL, e.Dependency, s.now().Unix(), id); err != nil {
			return nil, err
		}
		if e, err = externalLinkOn(ctx, tx, taskID, id); err != nil {
			return nil, err
		}
		return s.emitOnTask(ctx, tx, actor, EventExternalLinkUpdate, taskID, EventContent{ExternalLink: &e, Changes: changes})
	})
}

// DeleteExternalLink removes external link id of task taskID and writes
// task_external_link.delete with it.
func (s *Store) DeleteExternalLink(ctx context.Context, actor Actor, taskID, id int64) ([]string, error) {
	return s.taskMutation(ctx, "delete external link", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		e, err := externalLinkOn(ctx, tx, taskID, id)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM task_external_links WHERE id = ?`, id); err != nil {
			return nil, err
		}
		return s.emitOnTask(ctx, tx, actor, EventExternalLinkDelete, taskID, EventContent{ExternalLink: &e})
	})
}
