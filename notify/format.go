package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"hookboard/store"
)

// Payload is the body of one webhook request.
type Payload struct {
	ContentType string
	Body        []byte
}

// Render builds the body an endpoint of the given format receives for ev.
func Render(format string, ev store.Event) (Payload, error) {
	switch format {
	case store.FormatKanboard, "":
		if body, ok := kanboardSplice(ev); ok {
			return Payload{"application/json", body}, nil
		}
		body, err := kanboardBody(ev)
		return Payload{"application/json", body}, err
	case store.FormatEnvelope:
		doc, err := envelope(ev)
		if err != nil {
			return Payload{}, err
		}
		var buf bytes.Buffer
		writeJSON(&buf, doc)
		return Payload{"application/json", buf.Bytes()}, nil
	case store.FormatTransit:
		doc, err := envelope(ev)
		if err != nil {
			return Payload{}, err
		}
		var buf bytes.Buffer
		writeTransit(&buf, doc)
		return Payload{"application/transit+json", buf.Bytes()}, nil
	}
	return Payload{}, fmt.Errorf("notify: unknown format %q", format)
}

// kanboardBody is {"event_name", "event_data", "event_author"} as Kanboard
// sends it. event_data is the snapshot the store took, completed with the
// keys Kanboard receivers may read, so a sparse snapshot still has them.
func kanboardBody(ev store.Event) ([]byte, error) {
	data, err := eventData(ev)
	if err != nil {
		return nil, err
	}
	completeKanboard(ev.Name, &data)
	var author any
	if ev.AuthorName != "" {
		author = ev.AuthorName
	}
	var buf bytes.Buffer
	writeJSON(&buf, object{{"event_name", ev.Name}, {"event_data", data}, {"event_author", author}})
	return buf.Bytes(), nil
}

func eventData(ev store.Event) (object, error) {
	tree, err := decodeTree(ev.Data)
	if err != nil {
		return nil, fmt.Errorf("notify: event %s: %w", ev.ID, err)
	}
	data, ok := tree.(object)
	if !ok {
		return nil, fmt.Errorf("notify: event %s: event data is not an object", ev.ID)
	}
	return data, nil
}

// Keys Kanboard's nested objects carry (reference/kanboard-outgoing-payloads.json),
// with the value used when the snapshot lacks one.
var (
	commentKeys = object{
		{"id", json.Number("0")}, {"task_id", json.Number("0")}, {"user_id", json.Number("0")},
		{"date_creation", json.Number("0")}, {"date_modification", json.Number("0")}, {"comment", ""},
		{"reference", ""}, {"visibility", "app-user"}, {"username", nil}, {"name", nil}, {"email", nil},
		{"avatar_path", nil},
	}
	subtaskKeys = object{
		{"id", json.Number("0")}, {"title", ""}, {"status", json.Number("0")}, {"time_estimated", json.Number("0")},
		{"time_spent", json.Number("0")}, {"task_id", json.Number("0")}, {"user_id", json.Number("0")},
		{"position", json.Number("0")}, {"username", nil}, {"name", nil}, {"timer_start_date", json.Number("0")},
		{"status_name", nil}, {"is_timer_started", false},
	}
	fileKeys = object{
		{"id", json.Number("0")}, {"name", ""}, {"path", ""}, {"is_image", json.Number("0")},
		{"task_id", json.Number("0")}, {"date", json.Number("0")}, {"user_id", json.Number("0")},
		{"size", json.Number("0")}, {"etag", ""},
	}
	nestedKeys         = map[string]object{"comment": commentKeys, "subtask": subtaskKeys, "file": fileKeys}
	subtaskStatusNames = map[string]string{"0": "Todo", "1": "In progress", "2": "Done"}
	// moveKeys are the flat fields of move events, read from the task
	// snapshot when missing (src/dst from "changes").
	moveKeys = []string{"project_id", "position", "column_id", "swimlane_id", "src_column_id", "dst_column_id",
		"date_moved", "recurrence_status", "recurrence_trigger"}
)

// moveField is where a move event's flat field comes from when the data
// lacks it: src/dst column and date_moved from "changes" (the columns
// falling back to the task's column), the rest from the task snapshot.
// The tree and the splice share it, each with its own kind of value.
func moveField[V any](key string, changes, task func(string) (V, bool)) (V, bool) {
	switch key {
	case "src_column_id", "dst_column_id":
		if v, ok := changes(key); ok {
			return v, true
		}
		return task("column_id")
	case "date_moved":
		if v, ok := changes(key); ok {
			return v, true
		}
	}
	return task(key)
}

// objectKind names the nested object of comment, subtask and file events.
func objectKind(event string) string {
	name, _, _ := strings.Cut(event, ".")
	switch name {
	case "comment", "subtask", "file":
		return name
	}
	return ""
}

// completeKanboard adds what Kanboard receivers may read and the snapshot
// lacks: task_id, the nested comment/subtask/file object with all of
// Kanboard's keys (and its fields flat, as Kanboard's documentation shows
// them), the flat fields of move events, and "changes" on updates and moves
// (Kanboard sends [] when nothing is listed).
func completeKanboard(event string, data *object) {
	taskV, _ := data.get("task")
	task, _ := taskV.(object)
	if id, ok := task.get("id"); ok {
		data.setDefault("task_id", id)
	}
	if kind := objectKind(event); kind != "" {
		keys := nestedKeys[kind]
		v, _ := data.get(kind)
		nested, isObject := v.(object)
		if isObject {
			nested = slices.Clone(nested)
		} else {
			// Only flat fields were written: gather the object from them.
			nested = object{}
			for _, k := range keys {
				if val, ok := data.get(k.key); ok && k.key != kind {
					nested.set(k.key, val)
				}
			}
			if text, ok := v.(string); ok && kind == "comment" {
				nested.set("comment", text)
			}
		}
		for _, k := range keys {
			nested.setDefault(k.key, k.val)
		}
		if kind == "subtask" {
			if name, _ := nested.get("status_name"); name == nil {
				status, _ := nested.get("status")
				if n, ok := status.(json.Number); ok && subtaskStatusNames[n.String()] != "" {
					nested.set("status_name", subtaskStatusNames[n.String()])
				}
			}
		}
		data.set(kind, nested)
		for _, f := range nested {
			if f.key != kind {
				data.setDefault(f.key, f.val)
			}
		}
	}
	isMove := strings.HasPrefix(event, "task.move.")
	if isMove && event != store.EventTaskMoveProject {
		changesV, _ := data.get("changes")
		changes, _ := changesV.(object)
		for _, key := range moveKeys {
			if _, ok := data.get(key); ok {
				continue
			}
			if val, ok := moveField(key, changes.get, task.get); ok {
				data.set(key, val)
			} else {
				data.set(key, json.Number("0"))
			}
		}
	}
	if isMove || event == store.EventTaskUpdate || event == store.EventTaskAssigneeChange || event == store.EventSubtaskUpdate {
		data.setDefault("changes", []any{})
	}
}

// typenames of the envelope payload per nested object.
var typenames = map[string]string{"": "Task", "comment": "Comment", "subtask": "Subtask", "file": "File"}

// envelope is {"event", "timestamp", "payload": {"id", "typename", …}}, the
// document of the envelope and transit formats. The timestamp is the
// event's time, so a retried body is the same body.
func envelope(ev store.Event) (object, error) {
	if ev.Name == store.EventWebhookTest {
		return object{{"event", "SampleEvent"}, {"timestamp", ev.CreatedAt}, {"payload", object{{"typename", "SampleEvent"}}}}, nil
	}
	data, err := eventData(ev)
	if err != nil {
		return nil, err
	}
	completeKanboard(ev.Name, &data)
	kind := objectKind(ev.Name)
	key := kind
	if kind == "" {
		key = "task"
	}
	srcV, _ := data.get(key)
	src, _ := srcV.(object)
	id, _ := src.get("id")
	payload := object{{"id", id}, {"typename", typenames[kind]}}
	for _, f := range src {
		payload.setDefault(f.key, f.val)
	}
	if kind == "" {
		if changes, ok := data.get("changes"); ok {
			payload.setDefault("changes", changes)
		}
	}
	return object{{"event", ev.Name}, {"timestamp", ev.CreatedAt}, {"payload", payload}}, nil
}
