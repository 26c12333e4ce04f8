package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestIncomingConcurrentClients runs 64 clients against a real server for
// a few seconds. Every OK must have exactly one task and one task.create
// event; no other reply may appear (in particular no "database is locked").
func TestIncomingConcurrentClients(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	f := newIncomingFixture(t)
	const clients = 64
	duration := 3 * time.Second
	transport := &http.Transport{MaxIdleConnsPerHost: clients}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}

	var mu sync.Mutex
	ids := map[int64]bool{}
	var others []string
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(deadline); n++ {
				u := f.srv.URL + "/?controller=webhook&action=task&token=" + url.QueryEscape(f.token) +
					"&title=" + url.QueryEscape(fmt.Sprintf("client %d request %d", c, n))
				resp, err := client.Get(u)
				if err != nil {
					mu.Lock()
					others = append(others, err.Error())
					mu.Unlock()
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				id, idErr := strconv.ParseInt(resp.Header.Get("X-Hookboard-Task-Id"), 10, 64)
				mu.Lock()
				if resp.StatusCode == 200 && string(body) == "OK" && idErr == nil && !ids[id] {
					ids[id] = true
				} else {
					others = append(others, fmt.Sprintf("%d %q %s", resp.StatusCode, body, resp.Header.Get("X-Hookboard-Error")))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(others) > 0 {
		t.Fatalf("%d replies other than OK, first: %s", len(others), others[0])
	}
	if len(ids) < clients {
		t.Fatalf("only %d tasks created in %s", len(ids), duration)
	}
	ctx := context.Background()
	tasks, _ := f.counts(t)
	creates, err := f.st.EventCount(ctx, "task.create")
	if err != nil {
		t.Fatal(err)
	}
	if tasks != int64(len(ids)) || creates != int64(len(ids)) {
		t.Fatalf("%d OK replies, %d task rows, %d task.create events", len(ids), tasks, creates)
	}
	events, err := f.st.Events(ctx, len(ids)+1)
	if err != nil {
		t.Fatal(err)
	}
	perTask := map[int64]int{}
	for _, e := range events {
		perTask[e.TaskID]++
	}
	for id := range ids {
		if perTask[id] != 1 {
			t.Fatalf("task %d has %d task.create events", id, perTask[id])
		}
	}
	t.Logf("%d tasks from %d clients in %s", len(ids), clients, duration)
}
