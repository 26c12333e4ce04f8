package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"hookboard/store"
)

// BenchmarkBoardPage is the server's time to answer a project's board with
// 1,000 open tasks (badges, limits and all), for a logged-in admin:
//
//	go test ./handlers -run '^$' -bench BoardPage -benchtime 50x -count 5
//
// Its target is in docs/BENCHMARKS.md.
func BenchmarkBoardPage(b *testing.B) {
	e := newPageEnv(b)
	ctx := context.Background()
	cols, err := e.st.Columns(ctx, e.projectID)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		t := store.NewTask{ProjectID: e.projectID, ColumnID: cols[i%len(cols)].ID,
			Title: fmt.Sprintf("Task %d with a title of a usual length", i), Description: "Some words."}
		if _, _, err := e.st.CreateTask(ctx, store.Actor{}, t); err != nil {
			b.Fatal(err)
		}
	}
	c := e.client(b)
	e.login(b, c, "admin", adminPassword)
	path := fmt.Sprintf("/projects/%d/board", e.projectID)
	resp, body := e.get(b, c, path)
	if resp.StatusCode != http.StatusOK || strings.Count(body, `data-testid="task-card"`) != 1000 {
		b.Fatalf("board: status %d, %d cards", resp.StatusCode, strings.Count(body, `data-testid="task-card"`))
	}
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := e.get(b, c, path); resp.StatusCode != http.StatusOK {
			b.Fatalf("board: status %d", resp.StatusCode)
		}
	}
}
