package handlers

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestRPCLenientArguments: arguments are read as Kanboard's PHP reads them,
// and what a caller sent is what getTask shows.
func TestRPCLenientArguments(t *testing.T) {
	f := newRPCFixture(t, nil)
	app := f.app()
	march := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	cases := []struct {
		name   string
		params map[string]any // added to a createTask in project 1
		key    string
		want   any
	}{
		{"project id as a string", map[string]any{"project_id": fmt.Sprint(f.p1)}, "project_id", float64(f.p1)},
		{"integer as a whole float", map[string]any{"score": 3.0}, "score", float64(3)},
		{"integer as true", map[string]any{"score": true}, "score", float64(1)},
		{"integer as a padded string", map[string]any{"score": " 7 "}, "score", float64(7)},
		{"integer as an empty string", map[string]any{"score": ""}, "score", float64(0)},
		{"string as a number", map[string]any{"title": 42}, "title", "42"},
		{"date as a day", map[string]any{"date_due": "2026-03-01"}, "date_due", float64(march)},
		{"date as unix seconds", map[string]any{"date_due": march}, "date_due", float64(march)},
		{"date as a numeric string", map[string]any{"date_due": fmt.Sprint(march)}, "date_due", float64(march)},
		{"date empty", map[string]any{"date_due": ""}, "date_due", float64(0)},
		{"hours as a string", map[string]any{"time_estimated": "2.5"}, "time_estimated", 2.5},
		{"hours empty", map[string]any{"time_estimated": ""}, "time_estimated", float64(0)},
		{"null is absent", map[string]any{"color_id": nil, "score": nil}, "score", float64(0)},
		{"ignored parameter", map[string]any{"tags": []string{"a"}, "recurrence_status": "x"}, "title", "lenient"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			params := map[string]any{"title": "lenient", "project_id": f.p1}
			for k, v := range c.params {
				params[k] = v
			}
			id := f.callID(t, app, "createTask", params)
			task := f.call(t, app, "getTask", []any{id})
			if got := jsonPath(t, task, c.key); got != c.want {
				t.Errorf("%s = %v (%T), want %v", c.key, got, got, c.want)
			}
		})
	}
}

// TestRPCInvalidArguments: an argument no PHP cast would make sense of is
// the call's -32602 naming it, and stores nothing.
func TestRPCInvalidArguments(t *testing.T) {
	f := newRPCFixture(t, nil)
	tasks0, events0 := f.counts(t)
	cases := []struct {
		method string
		params string
		arg    string
	}{
		{"createTask", `{"title":"a","project_id":1,"score":1.5}`, "score"},
		{"createTask", `{"title":{},"project_id":1}`, "title"},
		{"createTask", `["a","abc"]`, "project_id"},
		{"createTask", `{"title":"a","project_id":1,"date_due":"tomorrow"}`, "date_due"},
		{"createTask", `{"title":"a","project_id":1,"time_spent":-1}`, "time_spent"},
		{"createTask", `{"title":"a","project_id":1,"time_spent":true}`, "time_spent"},
		{"updateTask", `{"id":1,"owner_id":[1]}`, "owner_id"},
		{"getAllTasks", `[1,"open"]`, "status_id"},
		{"createComment", `[1,1,false]`, "content"},
	}
	for _, c := range cases {
		body := `{"jsonrpc":"2.0","method":"` + c.method + `","id":1,"params":` + c.params + `}`
		want := `{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"Invalid argument: ` + c.arg + `"},"id":1}`
		if status, _, got := f.post(t, f.app(), body); status != 200 || got != want {
			t.Errorf("%s %s: %d %s\nwant %s", c.method, c.params, status, got, want)
		}
	}
	if tasks, events := f.counts(t); tasks != tasks0 || events != events0 {
		t.Errorf("refused calls stored %d tasks and %d events", tasks-tasks0, events-events0)
	}
}

// TestRPCOptionalArguments: updateTask changes only what it was given (null
// is not given), and getAllTasks' status_id defaults to open tasks.
func TestRPCOptionalArguments(t *testing.T) {
	f := newRPCFixture(t, nil)
	app := f.app()
	id := f.callID(t, app, "createTask", map[string]any{"title": "keep", "project_id": f.p1,
		"description": "kept", "date_due": "2026-03-01", "score": 5})
	f.callTrue(t, app, "updateTask", map[string]any{"id": id, "title": "changed", "description": nil})
	task := f.call(t, app, "getTask", []any{id})
	for key, want := range map[string]any{"title": "changed", "description": "kept", "score": float64(5)} {
		if got := jsonPath(t, task, key); got != want {
			t.Errorf("after a title update, %s = %v, want %v", key, got, want)
		}
	}
	f.callTrue(t, app, "updateTask", []any{id, nil, nil, nil, 0})
	if got := jsonPath(t, f.call(t, app, "getTask", []any{id}), "date_due"); got != float64(0) {
		t.Errorf("date_due 0 left %v, want it cleared", got)
	}

	closed := f.callID(t, app, "createTask", []any{"closed", f.p1})
	f.callTrue(t, app, "closeTask", []any{closed})
	titles := func(params any) string {
		var tasks []struct{ Title string }
		if err := json.Unmarshal(f.call(t, app, "getAllTasks", params), &tasks); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, task := range tasks {
			out = append(out, task.Title)
		}
		return strings.Join(out, ",")
	}
	for _, params := range []any{[]any{f.p1}, map[string]any{"project_id": f.p1, "status_id": ""}} {
		if got := titles(params); got != "changed" {
			t.Errorf("getAllTasks %v: %q, want the open task only", params, got)
		}
	}
	if got := titles([]any{f.p1, 0}); got != "closed" {
		t.Errorf("getAllTasks status 0: %q, want the closed task only", got)
	}
}

// TestRPCSignatureRefusesMistakes: a params struct that would bind wrongly
// stops the program at init rather than misreading calls.
func TestRPCSignatureRefusesMistakes(t *testing.T) {
	cases := map[string]any{
		"required after optional": struct {
			A int64 `rpc:"a"`
			B int64 `rpc:"b,required"`
		}{},
		"no tag": struct {
			A int64
		}{},
		"not a parameter type": struct {
			A int `rpc:"a"`
		}{},
		"default on a string": struct {
			A string `rpc:"a,default=1"`
		}{},
		"unknown option": struct {
			A int64 `rpc:"a,requird"`
		}{},
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("accepted")
				}
			}()
			signatureOf(reflect.TypeOf(v))
		})
	}
	s := signatureOf(reflect.TypeFor[createCommentParams]())
	if got := strings.Join(s.params, ","); got != "task_id,user_id,content,reference,visibility" || s.required != 3 {
		t.Errorf("createComment: params %s, %d required", got, s.required)
	}
}
