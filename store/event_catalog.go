package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// eventFires says when each event is written, for the event catalog page
// and docs/webhooks.md. A name in EventNames without a line here is still
// listed, with a generic sentence.
var eventFires = map[string]string{
	EventTaskCreate:           "A task is created: on the board, through the incoming URL or with createTask.",
	EventTaskUpdate:           "A task's fields change (title, description, color, due date, score, category, …); changes lists only what changed.",
	EventTaskClose:            "A task is closed.",
	EventTaskOpen:             "A closed task is opened again.",
	EventTaskMoveColumn:       "A task moves to another column.",
	EventTaskMovePosition:     "A task moves up or down within its column and swimlane.",
	EventTaskMoveSwimlane:     "A task moves to another swimlane.",
	EventTaskMoveProject:      "A task moves to another project.",
	EventTaskAssigneeChange:   "A task's assignee changes (and nothing else).",
	EventTaskDelete:           "A task is deleted; the data is the task as it was.",
	EventCommentCreate:        "A comment is added to a task.",
	EventCommentUpdate:        "A comment's text changes.",
	EventCommentDelete:        "A comment is deleted.",
	EventSubtaskCreate:        "A subtask is added to a task.",
	EventSubtaskUpdate:        "A subtask changes (title, status, assignee, time).",
	EventSubtaskDelete:        "A subtask is deleted.",
	EventFileCreate:           "A file is attached to a task.",
	EventFileDelete:           "A file is removed from a task.",
	EventTaskLinkCreateUpdate: "Two tasks are linked (blocks, relates to, …) or a link changes: once for each task, each with its side of the link.",
	EventTaskLinkDelete:       "A link between two tasks is removed: once for each task.",
	EventExternalLinkCreate:   "A task gets a link to a web page, a file or an attachment elsewhere.",
	EventExternalLinkUpdate:   "A task's external link changes (title, address, dependency).",
	EventExternalLinkDelete:   "A task's external link is removed.",
	EventProjectCreate:        "A project is created (on the Projects page, with createProject or the CLI).",
	EventProjectUpdate:        "A project's settings change, or it is disabled or enabled; changes lists what changed.",
	EventProjectDelete:        "A project is removed, with its tasks; the data is the project as it was.",
	EventColumnCreate:         "A column is added to a project.",
	EventColumnUpdate:         "A column is renamed, moved (position in changes) or given another WIP limit or description.",
	EventColumnDelete:         "An empty column is removed.",
	EventSwimlaneCreate:       "A swimlane is added to a project.",
	EventSwimlaneUpdate:       "A swimlane is renamed, moved, enabled or disabled.",
	EventSwimlaneDelete:       "An empty swimlane is removed.",
	EventCategoryCreate:       "A category is added to a project.",
	EventCategoryUpdate:       "A category is renamed or gets another colour.",
	EventCategoryDelete:       "A category is removed; its tasks keep no category.",
	EventProjectFileCreate:    "A file is attached to a project (not to a task).",
	EventProjectFileDelete:    "A project's file is removed; the data is the file as it was.",
	EventWebhookTest:          "Only when an admin presses “Send test event”, to that one endpoint.",
}

// CatalogEvent is one event of the catalog.
type CatalogEvent struct {
	Name  string
	Fires string
}

// EventCatalog lists every event Hookboard sends: the ones endpoints
// subscribe to (EventNames), then webhook.test.
func EventCatalog() []CatalogEvent {
	var out []CatalogEvent
	for _, name := range append(slices.Clone(EventNames), EventWebhookTest) {
		fires := eventFires[name]
		if fires == "" {
			fires = "When a " + strings.ReplaceAll(name, ".", " ") + " happens."
		}
		out = append(out, CatalogEvent{Name: name, Fires: fires})
	}
	return out
}

// IsCatalogEvent says whether name is an event Hookboard sends.
func IsCatalogEvent(name string) bool {
	return name == EventWebhookTest || slices.Contains(EventNames, name)
}

// sampleTime is the fixed time of sample events' data, so a sample reads
// the same every time.
var sampleTime = time.Date(2030, time.January, 15, 9, 30, 0, 0, time.UTC).Unix()

func sampleName(s string) *string { return &s }

// sampleContent is made-up content of an event named name, in the typed
// form real events are written from. Names of kinds it does not know get
// the task sample (EncodeEventData's default shape).
func sampleContent(name string) EventContent {
	t := TaskSnapshot{
		ID: 42, Title: "Ship the release notes", Description: "Draft, review and publish.", DateCreation: sampleTime,
		ColorID: "blue", ProjectID: 1, ColumnID: 2, OwnerID: 1, Position: 1, IsActive: 1, DateDue: sampleTime + 86400,
		CreatorID: 1, DateModification: sampleTime, Reference: "REL-7", SwimlaneID: 1, DateMoved: sampleTime, Priority: 0, Score: 3,
		SwimlaneName: sampleName("Default swimlane"), ProjectName: sampleName("Default"), ColumnTitle: sampleName("Ready"),
		AssigneeUsername: sampleName("admin"), CreatorUsername: sampleName("admin"), ColumnPosition: new(int64(2)),
	}
	c := EventContent{Task: t}
	if slices.Contains(ConfigEventNames, name) {
		project := Project{ID: 1, Name: "Default", IsActive: true, CreatedAt: sampleTime, ModifiedAt: sampleTime,
			PriorityEnd: 3, EnableGlobalTags: true}.Object()
		c = EventContent{Project: &project}
		switch {
		case strings.HasPrefix(name, "column."):
			c.Column = &Column{ID: 5, ProjectID: 1, Title: "Review", Position: 3, TaskLimit: 4}
		case strings.HasPrefix(name, "swimlane."):
			c.Swimlane = &Swimlane{ID: 2, ProjectID: 1, Name: "Urgent", Position: 2, IsActive: true}
		case strings.HasPrefix(name, "category."):
			c.Category = &Category{ID: 3, ProjectID: 1, Name: "Bug", ColorID: "red"}
		case strings.HasPrefix(name, "project_file."):
			c.ProjectFile = &ProjectFile{ID: 4, ProjectID: 1, UserID: 1, Name: "roadmap.pdf", MimeType: "application/pdf",
				Size: 91234, CreatedAt: sampleTime, Username: "admin", ETag: "e4d909c290d0fb1ca068ffaddf22cbd0"}
		}
		if strings.HasSuffix(name, ".update") {
			c.Changes = map[string]any{"name": "Default"}
			if c.Column != nil {
				c.Changes = map[string]any{"position": 3}
			}
		}
		return c
	}
	switch {
	case strings.HasPrefix(name, "task_internal_link."):
		c.TaskLink = &TaskLink{ID: 4, OppositeTaskID: 43, TaskID: t.ID, LinkID: 2, Label: "blocks", OppositeLinkID: 3}
	case strings.HasPrefix(name, "task_external_link."):
		c.ExternalLink = &ExternalLink{ID: 5, LinkType: "weblink", Dependency: "related", Title: "Release checklist",
			URL: "https://wiki.example.com/release", DateCreation: sampleTime, DateModification: sampleTime, TaskID: t.ID, CreatorID: 1}
		if name == EventExternalLinkUpdate {
			c.Changes = map[string]any{"title": "Release checklist"}
		}
	case strings.HasPrefix(name, "comment."):
		c.Comment = &Comment{ID: 7, TaskID: t.ID, UserID: 1, Comment: "Looks good to me.", CreatedAt: sampleTime, ModifiedAt: sampleTime, Username: "admin"}
		if name == EventCommentUpdate {
			c.Changes = map[string]any{"comment": "Looks good to me."}
		}
	case strings.HasPrefix(name, "subtask."):
		c.Subtask = &Subtask{ID: 5, TaskID: t.ID, Title: "Proofread", Status: 1, UserID: 1, TimeEstimated: 1, Position: 1, Username: "admin"}
		if name == EventSubtaskUpdate {
			c.Changes = map[string]any{"status": 1}
		}
	case strings.HasPrefix(name, "file."):
		c.File = &TaskFile{ID: 3, TaskID: t.ID, UserID: 1, Name: "notes.pdf", MimeType: "application/pdf", Size: 48213,
			CreatedAt: sampleTime, Username: "admin", ETag: "9e107d9d372bb6826bd81d3542a419d6"}
	case strings.HasPrefix(name, "task.move."):
		c.Move = &MoveFrom{ColumnID: 1, SwimlaneID: 1, DateMoved: sampleTime - 3600}
		c.Changes = map[string]any{"column_id": t.ColumnID}
		if name == EventTaskMoveProject {
			c.Move.ProjectID = 2
			c.Changes = map[string]any{"project_id": t.ProjectID}
		}
	case name == EventTaskUpdate:
		c.Changes = map[string]any{"title": t.Title}
	case name == EventTaskAssigneeChange:
		c.Changes = map[string]any{"owner_id": t.OwnerID}
	case name == EventTaskClose:
		c.Task.IsActive = 0
		c.Task.DateCompleted = new(sampleTime)
	}
	return c
}

// sampleEventData is the event_data of a sample event named name, made by
// the builder real events use.
func sampleEventData(name string, endpointID int64) ([]byte, error) {
	if name == EventWebhookTest {
		return json.Marshal(TestEventData{Message: "This is a test event from Hookboard.", EndpointID: endpointID})
	}
	return EncodeEventData(name, sampleContent(name))
}

// SampleEvent is a made-up event named name as it would be stored (by
// admin, at at), for the catalog page to render in each format.
func SampleEvent(name string, at time.Time) (Event, error) {
	if !IsCatalogEvent(name) {
		return Event{}, &InvalidError{Reason: fmt.Sprintf("%q is not an event Hookboard sends", name)}
	}
	data, err := sampleEventData(name, 0)
	if err != nil {
		return Event{}, err
	}
	return Event{ID: "01946c1e-5a00-7000-8000-000000000000", Name: name, AuthorName: "admin", CreatedAt: at.UTC().Truncate(time.Millisecond), Data: data}, nil
}

// CreateSampleDelivery writes a sample event named name (see SampleEvent;
// webhook.test for the Test button) and one delivery of it to the given
// endpoint only, enabled or not, whatever its filters, leased to the
// caller. The event names no project or task: it describes nothing on the
// board.
func (s *Store) CreateSampleDelivery(ctx context.Context, actor Actor, endpointID int64, name string, lease time.Duration) (DeliveryJob, error) {
	if !IsCatalogEvent(name) {
		return DeliveryJob{}, &InvalidError{Reason: fmt.Sprintf("%q is not an event Hookboard sends", name)}
	}
	var deliveryID int64
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var timeoutMS int64
		err := tx.QueryRowContext(ctx, `SELECT timeout_ms FROM webhook_endpoints WHERE id = ?`, endpointID).Scan(&timeoutMS)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		now := s.now()
		data, err := sampleEventData(name, endpointID)
		if err != nil {
			return err
		}
		id, err := insertEvent(ctx, tx, now, actor, name, 0, 0, data)
		if err != nil {
			return err
		}
		deliveryID, err = insert(ctx, tx, `INSERT INTO deliveries (event_id, event_name, endpoint_id, next_attempt_ms, created_at_ms, time_ordered)
			VALUES (?1, ?2, ?3, ?4, ?5, `+timeOrderedSQL("?5")+`)`, id, name, endpointID, now.Add(lease).UnixMilli()+timeoutMS, now.UnixMilli())
		return err
	})
	if err != nil {
		return DeliveryJob{}, fmt.Errorf("store: test endpoint %d: %w", endpointID, err)
	}
	jobs, err := s.deliveryJobs(ctx, []int64{deliveryID})
	if err != nil {
		return DeliveryJob{}, err
	}
	if len(jobs) == 0 {
		return DeliveryJob{}, fmt.Errorf("store: test endpoint %d: %w", endpointID, ErrNotFound)
	}
	return jobs[0], nil
}
