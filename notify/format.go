package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// Render is Render for the handlers, which do not import this package: the
// body an endpoint of the given format gets for ev, and its content type.
func (n *Notifier) Render(format string, ev store.Event) (contentType string, body []byte, err error) {
	p, err := Render(format, ev)
	return p.ContentType, p.Body, err
}

// kanboardBody is {"event_name", "event_data", "event_author"} as Kanboard
// sends it. The store wrote event_data exactly as receivers get it (see
// store.EncodeEventData), so it is put in as it is.
func kanboardBody(ev store.Event) ([]byte, error) {
	data := bytes.TrimSpace(ev.Data)
	if len(data) == 0 || data[0] != '{' {
		return nil, fmt.Errorf("notify: event %s: event data is not a JSON object", ev.ID)
	}
	var buf bytes.Buffer
	buf.Grow(len(data) + len(ev.Name) + len(ev.AuthorName) + 64)
	buf.WriteString(`{"event_name":`)
	writeJSONString(&buf, ev.Name)
	buf.WriteString(`,"event_data":`)
	buf.Write(data)
	buf.WriteString(`,"event_author":`)
	if ev.AuthorName == "" {
		buf.WriteString("null")
	} else {
		writeJSONString(&buf, ev.AuthorName)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// eventData decodes the stored event_data, keeping its key order and its
// numbers exactly as written.
func eventData(ev store.Event) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(ev.Data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err == nil {
		if _, err = dec.Token(); err == io.EOF {
			err = nil
		} else if err == nil {
			err = errors.New("data after the object")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("notify: event %s: %w", ev.ID, err)
	}
	data, ok := v.(object)
	if !ok {
		return nil, fmt.Errorf("notify: event %s: event data is not an object", ev.ID)
	}
	return data, nil
}

// decodeValue reads one value from dec's tokens: objects as object (a key
// seen twice keeps its last value, as encoding/json), arrays as []any, the
// rest as the token itself (nil, bool, json.Number, string).
func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := object{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			o.set(key.(string), v)
		}
		_, err := dec.Token() // '}'
		return o, err
	case json.Delim('['):
		a := []any{}
		for dec.More() {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token() // ']'
		return a, err
	}
	return tok, nil
}

// objectKind names the nested object of comment, subtask, file, link and
// project configuration events.
func objectKind(event string) string {
	name, _, _ := strings.Cut(event, ".")
	if _, ok := typenames[name]; ok {
		return name
	}
	return ""
}

// typenames of the envelope payload per nested object.
var typenames = map[string]string{"": "Task", "comment": "Comment", "subtask": "Subtask", "file": "File",
	"project": "Project", "column": "Column", "swimlane": "Swimlane", "category": "Category",
	"task_internal_link": "TaskLink", "task_external_link": "ExternalLink"}

// withChanges are the kinds whose envelope payload carries the event's changes.
var withChanges = map[string]bool{"": true, "project": true, "column": true, "swimlane": true, "category": true}

// dataKeys are where event_data holds a kind's object, when not under the
// kind's own name.
var dataKeys = map[string]string{"": "task", "task_internal_link": "task_link", "task_external_link": "external_link"}

// envelope is {"event", "timestamp", "payload": {"id", "typename", …}}, the
// document of the envelope and transit formats: the event's task, comment,
// subtask, file, link, project, column, swimlane or category, with the
// changes of task and project configuration events. The timestamp is the
// event's time, so a retried body is the same body.
func envelope(ev store.Event) (object, error) {
	if ev.Name == store.EventWebhookTest {
		return object{{"event", "SampleEvent"}, {"timestamp", ev.CreatedAt}, {"payload", object{{"typename", "SampleEvent"}}}}, nil
	}
	data, err := eventData(ev)
	if err != nil {
		return nil, err
	}
	kind := objectKind(ev.Name)
	key := kind
	if k, ok := dataKeys[kind]; ok {
		key = k
	}
	srcV, _ := data.get(key)
	src, _ := srcV.(object)
	id, _ := src.get("id")
	payload := object{{"id", id}, {"typename", typenames[kind]}}
	for _, f := range src {
		payload.setDefault(f.key, f.val)
	}
	if withChanges[kind] {
		if changes, ok := data.get("changes"); ok {
			payload.setDefault("changes", changes)
		}
	}
	return object{{"event", ev.Name}, {"timestamp", ev.CreatedAt}, {"payload", payload}}, nil
}
