package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestValidateText(t *testing.T) {
	for _, tc := range []struct {
		in        string
		multiline bool
		want      string // "" when accepted
	}{
		{"plain words", false, ""},
		{"naïve café ✓", false, ""},
		{"\xff\xfe", false, "is not valid UTF-8"},
		{"ok\xc3", true, "is not valid UTF-8"},
		{"\x00abc", false, "U+0000"},
		{"\x01\x02", false, "U+0001"},
		{"a\tb", false, "U+0009"},
		{"a\nb", false, "U+000A"},
		{"a\x7f", false, "U+007F"},
		{"a\u0085b", false, "U+0085"},
		{"tab\there\r\nnew line", true, ""},
		{"bell\x07", true, "U+0007"},
		{"nul\x00", true, "U+0000"},
	} {
		err := ValidateText("field", tc.in, tc.multiline)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q (multiline %v) refused: %v", tc.in, tc.multiline, err)
		case tc.want != "" && (err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "field ")):
			t.Errorf("%q (multiline %v): %v, want an invalid-input error naming the field and saying %q", tc.in, tc.multiline, err, tc.want)
		}
	}
}

// The rule holds at the store, whoever calls it: nothing is written.
func TestStoreRefusesUnreadableText(t *testing.T) {
	s := openTestStore(t)
	board := newBoard(t, s, "text")
	ctx := context.Background()
	id, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: board.project, Title: "keep"})
	if err != nil {
		t.Fatal(err)
	}
	bad := "x\x00y"
	checks := map[string]error{}
	_, _, checks["task title"] = s.CreateTask(ctx, Actor{}, NewTask{ProjectID: board.project, Title: bad})
	_, _, checks["task description"] = s.CreateTask(ctx, Actor{}, NewTask{ProjectID: board.project, Title: "t", Description: bad})
	_, checks["task update"] = s.UpdateTask(ctx, Actor{}, id, TaskUpdate{Description: &bad})
	_, _, checks["subtask"] = s.CreateSubtask(ctx, Actor{}, NewSubtask{TaskID: id, Title: bad})
	_, _, checks["comment"] = s.CreateComment(ctx, Actor{}, id, 0, bad)
	_, checks["project"] = s.CreateProject(ctx, bad, "", 0)
	_, checks["swimlane"] = s.CreateSwimlane(ctx, board.project, bad)
	_, checks["category"] = s.CreateCategory(ctx, board.project, bad)
	for what, err := range checks {
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "U+0000") {
			t.Errorf("%s with NUL: %v", what, err)
		}
	}
	if task, _ := s.TaskByID(ctx, id); task.Description != "" {
		t.Errorf("the description was changed to %q", task.Description)
	}
}
