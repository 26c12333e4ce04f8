package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"hookboard/store"
)

// trickyTexts are what people may write whose JSON differs between
// json.Marshal (the stored event data) and writeJSON (the body): HTML
// characters, U+2028 and U+2029, invalid UTF-8 (stored as \ufffd),
// control characters, quotes and backslashes, and text that needs no
// escape at all.
var trickyTexts = []string{
	"",
	` <b>bold</b> & "quoted" \back\slash / slash`,
	" line\u2028para\u2029end",
	" emoji 😀 ünïcödé ✓ \ufffd literal replacement, \u00a0 \u200b",
	" bad \xff\xfe utf-8 \xe2\x80 cut",
	" ctl \x00\x01\x1f\x7f \b\f\n\r\t end",
	" ~tilde ^caret `tick {\"task_id\":9} \\u003c",
}

// checkSplice renders ev's kanboard body both ways: the splice must take
// it (when wantSplice) and give exactly the tree's bytes; Render must give
// them too.
func checkSplice(t *testing.T, what string, ev store.Event, wantSplice bool) {
	t.Helper()
	want, werr := kanboardBody(ev)
	got, ok := kanboardSplice(ev)
	if ok != wantSplice {
		t.Errorf("%s: spliced %v, want %v (data %s)", what, ok, wantSplice, ev.Data)
	}
	if ok && (werr != nil || !bytes.Equal(got, want)) {
		t.Errorf("%s: spliced body differs from the tree's (%v):\n got  %s\n want %s", what, werr, got, want)
	}
	p, err := Render(store.FormatKanboard, ev)
	if (err != nil) != (werr != nil) || !bytes.Equal(p.Body, want) {
		t.Errorf("%s: Render gave %s, %v; the tree %s, %v", what, p.Body, err, want, werr)
	}
}

// TestKanboardSpliceMatchesTree: every event of the catalog, made through
// the real store with tricky text in titles, description, comment, names
// and author, and the webhook test event, is spliced, byte for byte as
// the tree renders it.
func TestKanboardSpliceMatchesTree(t *testing.T) {
	ctx := context.Background()
	var stored bytes.Buffer // all the data, to check what the texts put in it
	for i, text := range trickyTexts {
		db := openDB(t, newClock())
		st := db.st
		actor := store.Actor{UserID: 1, Username: "admin" + text, IsAdmin: true}
		owner := int64(1)
		if i == 1 {
			// A user whose username the snapshot carries (assignee_username).
			u, err := st.CreateUser(ctx, "<owner> & \"co\" \\ \u2028 \xff", "a long enough password", false)
			if err != nil {
				t.Fatal(err)
			}
			owner = u.ID
		}
		run := makeCatalogEvents(t, st, actor, owner, text)
		for _, name := range store.EventNames {
			id, ok := run.events[name]
			if !ok {
				t.Fatalf("the store wrote no %s event (it wrote %v)", name, run.order)
			}
			ev, err := st.EventByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			stored.Write(ev.Data)
			checkSplice(t, name+" with "+strings.TrimSpace(text), ev, true)
		}
		ep, _ := addEndpoint(t, st, store.NewEndpoint{URL: "http://example.com/hook"})
		job, err := st.CreateTestDelivery(ctx, actor, ep.ID, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		checkSplice(t, "webhook.test", job.Event, true)
	}
	// The texts reached the data as json.Marshal escapes them.
	for _, esc := range []string{`\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`, `\ufffd`, `\u0000`, `\"`, `\\`, `\b`, `\f`, `\n`, `\t`, "😀", "\ufffd"} {
		if !bytes.Contains(stored.Bytes(), []byte(esc)) {
			t.Errorf("no event data has %q", esc)
		}
	}

	// The sparse events of the goldens, which the format completes.
	for name, ev := range sampleEvents(t, openDB(t, newClock()).st) {
		checkSplice(t, "sample "+name, ev, true)
		ev.AuthorName = ""
		checkSplice(t, "sample "+name+" without author", ev, true)
	}
}

// TestKanboardSpliceShapes: data the store does not write is spliced when
// that gives the tree's bytes, and left to the tree otherwise.
func TestKanboardSpliceShapes(t *testing.T) {
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	for _, c := range []struct {
		name, data string
		splice     bool
	}{
		{"task.create", `{}`, true},
		{"task.move.column", `{}`, true},
		{"task.move.position", `{"task":{"id":3,"column_id":4,"date_moved":5,"position":[1,{"a":null}]},"changes":{"date_moved":6}}`, true},
		{"task.move.project", `{"task":{"id":3}}`, true},
		{"task.update", `{"task":"nope","changes":null}`, true},
		{"task.assignee_change", `{"task":{"id":"7"},"task_id":null}`, true},
		{"task.close", `{"a":{"a":1,"b":{"a":2}},"b":[{"a":1},{"a":1}]}`, true},
		{"task.create", `{"n":[-0,0.5,1e400,1.5E+3,-12e-7,12345678901234567890],"t":true,"f":false,"z":null,"o":{},"e":[]}`, true},
		{"task.create", `{"s":"\/ \u003C \u003e \u0026 \ufffd \u00e9 \u2028 \u2029 \u0001 \u001F \u007f \u0041 \b \f \n \r \t \" \\"}`, true},
		{"task.create", `{"s":"ü😀✓ <&>"}`, true},
		{"comment.create", `{"task_id":4,"comment":{"id":9,"comment":"\u003cb\u003e"},"task":{"id":4}}`, true},
		{"comment.update", `{"comment":{}}`, true},
		{"subtask.update", `{"subtask":{"status":2,"status_name":null}}`, true},
		{"subtask.create", `{"subtask":{}}`, true},
		{"subtask.create", `{"subtask":{"status":"1"}}`, true},
		{"subtask.delete", `{"subtask":{"status":7,"status_name":"x"},"status_name":"flat"}`, true},
		{"subtask.update", `{"subtask":{"status":1,"status_name":"Custom"}}`, true},
		{"subtask.update", `{"subtask":{"status":1,"status_name":false}}`, true},
		{"file.create", `{"file":{"name":"a\u0026b"},"name":"flat","task":{"id":1}}`, true},
		{"comment", `{"comment":{"id":1}}`, true},
		{"<b>\u2028\xff", `{"task":{"id":1}}`, true},

		// Not compact, or not what the tree writes back.
		{"task.create", `{ "task_id":1}`, false},
		{"task.create", "{\"task_id\":1}\n", false},
		{"task.create", `{"a":1,"a":2}`, false},
		{"task.create", `{"task":{"id":1,"id":2}}`, false},
		{"task.create", `{"x":[{"a":1,"b":2,"a":3}]}`, false},
		{"task.create", `{"t\u0061sk_id":1}`, false},
		{"task.create", `{"s":"\ud83d\ude00"}`, false},
		{"task.create", `{"s":"\ud83d"}`, false},
		{"task.create", "{\"s\":\"line\u2028sep\"}", false},
		{"task.create", "{\"s\":\"para\u2029sep\"}", false},
		{"task.create", "{\"s\":\"bad \xff\"}", false},
		{"task.create", `{"d":` + deep + `}`, false},
		// Left to the tree: not a nested object.
		{"comment.create", `{"comment":"flat text","id":3}`, false},
		{"subtask.create", `{"title":"flat"}`, false},
		{"file.delete", `{"file":[1,2],"task":"nope"}`, false},
		// Not JSON, or not an object: the tree's error.
		{"task.create", ``, false},
		{"task.create", `[]`, false},
		{"task.create", `null`, false},
		{"task.create", `"str"`, false},
		{"task.create", `{"a":01}`, false},
		{"task.create", `{"a":1,}`, false},
		{"task.create", `{"a":tru}`, false},
		{"task.create", `{"a":1.}`, false},
		{"task.create", `{"a":-}`, false},
		{"task.create", `{"a":1e}`, false},
		{"task.create", `{"a":"x}`, false},
		{"task.create", `{"a":"\x"}`, false},
		{"task.create", `{"a":"\u12"}`, false},
		{"task.create", "{\"a\":\"tab\there\"}", false},
		{"task.create", `{"a":1}x`, false},
		{"task.create", `{"a":1}{}`, false},
		{"task.create", `{"a" 1}`, false},
		{"task.create", `{a:1}`, false},
		{"task.create", `{"a":[1,]}`, false},
		{"task.create", `{"a":[1 2]}`, false},
		// Cut short.
		{"task.create", `{`, false},
		{"task.create", `{"a"`, false},
		{"task.create", `{"a":`, false},
		{"task.create", `{"a":1`, false},
		{"task.create", `{"a":[`, false},
		{"task.create", `{"a":[1`, false},
		{"task.create", `{"a":{`, false},
		{"task.create", `{"a":"\`, false},
		{"task.create", `{"a":"\u00`, false},
		{"task.create", `{"a":"\u00e`, false},
		{"task.create", `{"a":nul`, false},
		{"task.create", `{"a":-`, false},
		{"task.create", `{"a":1.`, false},
		{"task.create", `{"a":1e+`, false},
	} {
		ev := store.Event{ID: "e", Name: c.name, AuthorName: "bob", Data: exactly(c.data)}
		checkSplice(t, c.name+" "+c.data, ev, c.splice)
	}
}

// TestJSONStringsAsEncoder: writeJSONString, and the splice for names and
// authors, write every string as encoding/json's Encoder without HTML
// escaping does; the splice reads escapes as it writes them.
func TestJSONStringsAsEncoder(t *testing.T) {
	var all, plain strings.Builder
	strs := []string{"\u2028\u2029\ufffd😀", "\xff", ""}
	for c := range 256 {
		all.WriteByte(byte(c))
		strs = append(strs, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"z")
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			plain.WriteByte(byte(c))
		}
	}
	strs = append(strs, all.String(), plain.String())
	for _, s := range append(strs, trickyTexts...) {
		var want, got bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		want.Truncate(want.Len() - 1)
		writeJSONString(&got, s)
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("writeJSONString(%q) = %s, want %s", s, got.Bytes(), want.Bytes())
		}
		if got := appendJSONString([]byte("x"), s); string(got) != "x"+want.String() {
			t.Errorf("appendJSONString(%q) = %s, want x%s", s, got, want.Bytes())
		}
	}
	if !jsonPlain(plain.String()) {
		t.Errorf("%q is not plain", plain.String())
	}
	for r := range rune(0x3000) {
		if r >= 0xd800 && r < 0xe000 {
			continue
		}
		h := hex4(r)
		if r%2 == 1 {
			h = strings.ToUpper(h)
		}
		esc := json.RawMessage(`{"s":"\u` + h + `"}`)
		checkSplice(t, "escape "+string(esc), store.Event{Name: "task.create", Data: esc}, true)
	}
}

// exactly is data with no capacity beyond it, so that reading past its
// end panics.
func exactly(data string) json.RawMessage {
	b := []byte(data)
	return b[:len(b):len(b)]
}

func hex4(r rune) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[r>>12&15], digits[r>>8&15], digits[r>>4&15], digits[r&15]})
}

// FuzzKanboardSplice: whatever the event name, author and data, a body the
// splice makes is the tree's, byte for byte.
func FuzzKanboardSplice(f *testing.F) {
	for _, name := range store.EventNames {
		f.Add(name, "admin", `{"task_id":1,"task":{"id":1,"title":"\u003cT\u003e","column_id":2},"changes":{"src_column_id":1}}`)
	}
	f.Add("comment.create", "", `{"task_id":4,"comment":{"id":9,"comment":"a \u0026 b"},"task":{"id":4}}`)
	f.Add("subtask.update", "<b>", `{"subtask":{"status":2,"status_name":null},"changes":[]}`)
	f.Add("subtask.create", "\u2028", `{"subtask":{}}`)
	f.Add("file.delete", "x", `{"file":{"name":"\/"},"task":{"id":1}}`)
	f.Add("task.create", "x", `{"a":1,"a":2}`)
	f.Add("task.create", "x", `{"s":"\ud83d\ude00 \ufffd \u2029 \u0000"}`)
	f.Add("webhook.test", "", `{"message":"This is a test event from Hookboard.","endpoint_id":1}`)
	f.Fuzz(func(t *testing.T, name, author, data string) {
		ev := store.Event{ID: "e", Name: name, AuthorName: author, Data: exactly(data)}
		got, ok := kanboardSplice(ev)
		if !ok {
			return
		}
		want, err := kanboardBody(ev)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("spliced body differs from the tree's (%v):\n got  %s\n want %s", err, got, want)
		}
	})
}
