package crash

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hookboard/internal/testdb"
	"hookboard/store"
)

// exchangeLog is a webhook receiver that keeps, per webhook-id, what a
// delivery guarantee is about: how many attempts came, whether two were
// ever in flight at once, and whether one came after a 2xx answer.
type exchangeLog struct {
	srv    *httptest.Server
	answer func(n int64) int // the status of the receiver's n-th answer (from 1); 0 never answers

	answers atomic.Int64
	// killedAt is when a server was killed (zero before): a 2xx answered
	// before it may never have been recorded, so the restarted server
	// sends that delivery again (at least once), and only that is excused.
	killedAt atomic.Pointer[time.Time]

	mu sync.Mutex
	inFlight,
	attempts map[string]int
	okAt      map[string]time.Time // when a 2xx was answered
	excused   int
	taskOf    map[string]int64 // webhook-id → task id, for task.create
	overlaps  []string
	afterDone []string
}

func newExchangeLog(t *testing.T, answer func(n int64) int) *exchangeLog {
	l := &exchangeLog{answer: answer, inFlight: map[string]int{}, attempts: map[string]int{}, okAt: map[string]time.Time{}, taskOf: map[string]int64{}}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		id := req.Header.Get("webhook-id")
		var body struct {
			EventName string `json:"event_name"`
			EventData struct {
				TaskID int64 `json:"task_id"`
			} `json:"event_data"`
		}
		json.NewDecoder(req.Body).Decode(&body)
		l.mu.Lock()
		l.attempts[id]++
		if l.inFlight[id]++; l.inFlight[id] > 1 {
			l.overlaps = append(l.overlaps, id)
		}
		if at, done := l.okAt[id]; done {
			if k := l.killedAt.Load(); k != nil && at.Before(*k) {
				l.excused++
			} else {
				l.afterDone = append(l.afterDone, id)
			}
		}
		if body.EventName == store.EventTaskCreate {
			l.taskOf[id] = body.EventData.TaskID
		}
		l.mu.Unlock()
		status := l.answer(l.answers.Add(1))
		if status == 0 {
			<-req.Context().Done() // the sender gives up at its timeout
		} else {
			w.WriteHeader(status)
		}
		l.mu.Lock()
		l.inFlight[id]--
		if _, done := l.okAt[id]; !done && status >= 200 && status < 300 {
			l.okAt[id] = time.Now()
		}
		l.mu.Unlock()
	}))
	t.Cleanup(l.srv.Close)
	return l
}

// tasksReached lists the tasks whose task.create this receiver got at
// least once (attempted) and answered 2xx (delivered).
func (l *exchangeLog) tasksReached() (attempted, delivered map[int64]bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	attempted, delivered = map[int64]bool{}, map[int64]bool{}
	for id, task := range l.taskOf {
		attempted[task] = true
		if _, done := l.okAt[id]; done {
			delivered[task] = true
		}
	}
	return attempted, delivered
}

// Two servers on one database behind no proxy at all: 16 clients create
// tasks through both, one receiver fails its first two answers, one never
// answers, and one server is killed with SIGKILL mid-run and started again
// on its address. Every task answered OK exists once; each receiver gets
// every task's task.create, the flaky one until it answers 2xx; no
// delivery is ever attempted twice at once, nor after its 2xx unless the
// killed server got that 2xx and died before recording it.
func TestTwoInstancesOneDatabase(t *testing.T) {
	bin := buildBinary(t)
	db := testdb.New(t) // a SQLite file, or PostgreSQL with HOOKBOARD_TEST_POSTGRES
	a, token := start(t, bin, db)
	if token == "" {
		t.Fatal("first start printed no incoming URL")
	}
	b, _ := start(t, bin, db)

	flaky := newExchangeLog(t, func(n int64) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	hung := newExchangeLog(t, func(int64) int { return 0 })
	for _, r := range []*exchangeLog{flaky, hung} {
		out, err := command(bin, db, "webhook", "add", "-db", db, "-allow-webhook-nets", "loopback",
			"-url", r.srv.URL+"/hook", "-events", store.EventTaskCreate, "-timeout", "1s").CombinedOutput()
		if err != nil {
			t.Fatalf("webhook add: %v\n%s", err, out)
		}
	}

	// Eight clients on each server; the second server dies and comes back
	// half way.
	stop := make(chan struct{})
	var count atomic.Int64
	var acked [2][]ack
	var wg sync.WaitGroup
	bBase := b.base
	for i, base := range []string{a.base, bBase} {
		wg.Go(func() { acked[i] = load(base, token, 8, i, stop, &count) })
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && count.Load() < 40; {
		time.Sleep(20 * time.Millisecond)
	}
	b.kill()
	killedAt := time.Now()
	flaky.killedAt.Store(&killedAt)
	hung.killedAt.Store(&killedAt)
	t.Logf("%d tasks acknowledged, then SIGKILL", count.Load())
	b, _ = start(t, bin, db, "-addr", strings.TrimPrefix(bBase, "http://"))
	before := count.Load()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && count.Load() < before+40; {
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	all := append(acked[0], acked[1]...)
	if len(acked[0]) == 0 || len(acked[1]) == 0 {
		t.Fatalf("acknowledged %d through the first server and %d through the second: want some through each", len(acked[0]), len(acked[1]))
	}

	// Every task that exists (answered or cut off by the kill) owes both
	// receivers its task.create; the flaky one's two failures are retried
	// 5 s later.
	tasks := allTasks(t, db)
	wait := 60 * time.Second
	deadline := time.Now().Add(wait)
	var missing []string
	for {
		missing = missing[:0]
		_, delivered := flaky.tasksReached()
		attempted, _ := hung.tasksReached()
		for _, task := range tasks {
			if !delivered[task.taskID] {
				missing = append(missing, fmt.Sprintf("task %d not delivered to the flaky receiver", task.taskID))
			}
			if !attempted[task.taskID] {
				missing = append(missing, fmt.Sprintf("task %d never attempted at the hung receiver", task.taskID))
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	a.stop(t)
	b.stop(t)
	if len(missing) > 0 {
		t.Fatalf("after %s: %d webhooks missing, e.g. %s", wait, len(missing), strings.Join(missing[:min(5, len(missing))], "; "))
	}
	for name, r := range map[string]*exchangeLog{"flaky": flaky, "hung": hung} {
		r.mu.Lock()
		if len(r.overlaps) > 0 {
			t.Errorf("%s receiver: %d times a delivery was attempted while an attempt of it was in flight (e.g. %s)", name, len(r.overlaps), r.overlaps[0])
		}
		if len(r.afterDone) > 0 {
			t.Errorf("%s receiver: %d attempts after a 2xx (e.g. %s)", name, len(r.afterDone), r.afterDone[0])
		}
		r.mu.Unlock()
	}
	if n := flaky.answers.Load(); n < int64(len(tasks))+2 {
		t.Errorf("flaky receiver answered %d times for %d tasks: want its two failures retried", n, len(tasks))
	}

	st := openStore(t, db)
	defer st.Close()
	ctx := context.Background()
	titles := map[string]int{}
	for _, task := range tasks {
		titles[task.title]++
	}
	for _, k := range all {
		task, err := st.TaskByID(ctx, k.taskID)
		if err != nil || task.Title != k.title || titles[k.title] != 1 {
			t.Errorf("acknowledged task %q (id %d): %v, %d in the database; want exactly one", k.title, k.taskID, err, titles[k.title])
		}
	}
	t.Logf("%d acknowledged through two servers (%d tasks in all); the flaky receiver answered %d times (%d sent again after the kill), the hung one was tried %d times",
		len(all), len(tasks), flaky.answers.Load(), flaky.excused, hung.answers.Load())
}
