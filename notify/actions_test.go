package notify

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"hookboard/store"
)

// TestDailyActionsFromTheWorker: the worker's housekeeping raises the daily
// job when it is due (at once on start, as none ran yet) and delivers what
// its rules changed; a second run the same day does nothing.
func TestDailyActionsFromTheWorker(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	rc := newReceiver(t)
	addEndpoint(t, db.st, store.NewEndpoint{Name: "r", URL: rc.URL(), Events: []string{store.EventTaskClose}})
	if _, err := db.st.CreateAction(ctx, db.first.DefaultProject, store.ActionEventDaily, `\Kanboard\Action\TaskCloseNoActivity`,
		[]store.ActionParam{{Name: "duration", Value: "1"}}); err != nil {
		t.Fatal(err)
	}
	createTask(t, db.st, "stale")
	c.Advance(2 * 24 * time.Hour)
	n := newTestNotifier(t, db.st, c, 5*time.Second)
	n.Start()
	<-rc.notify
	var body struct {
		Name string `json:"event_name"`
		Data struct {
			Task struct {
				Title    string `json:"title"`
				IsActive int    `json:"is_active"`
			} `json:"task"`
		} `json:"event_data"`
	}
	if err := json.Unmarshal(rc.requests()[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Name != store.EventTaskClose || body.Data.Task.Title != "stale" || body.Data.Task.IsActive != 0 {
		t.Errorf("the receiver got %+v", body)
	}
	if err := n.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	// Another stale task: not closed again until a day has passed.
	createTask(t, db.st, "stale too")
	c.Advance(2 * time.Hour)
	if _, ran, err := db.st.RunDailyActions(ctx, dailyActionsEvery); err != nil || ran {
		t.Fatalf("a second run within the day: ran %v, %v", ran, err)
	}
	c.Advance(24 * time.Hour)
	events, ran, err := db.st.RunDailyActions(ctx, dailyActionsEvery)
	if err != nil || !ran || len(events) != 1 {
		t.Fatalf("the next day: %v %v %v", events, ran, err)
	}
}
