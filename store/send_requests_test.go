package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSendRequestsAndHeartbeat: a request names something that exists, is
// taken once, answered once, and withdrawn only while untaken; the
// heartbeat counts as a running server for three beats.
func TestSendRequestsAndHeartbeat(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	s, err := openTest(t, testDB(t), Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	if running, err := s.ServerRunning(ctx); err != nil || running {
		t.Fatalf("running before any heartbeat: %v %v", running, err)
	}
	if err := s.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	now = now.Add(3 * HeartbeatEvery)
	if running, _ := s.ServerRunning(ctx); !running {
		t.Error("three beats old: not running")
	}
	now = now.Add(time.Second)
	if running, _ := s.ServerRunning(ctx); running {
		t.Error("stale heartbeat: running")
	}
	s.Heartbeat(ctx)
	s.ClearHeartbeat(ctx)
	if running, _ := s.ServerRunning(ctx); running {
		t.Error("cleared heartbeat: running")
	}

	if _, err := s.RequestSend(ctx, TriggerTest, 5); !errors.Is(err, ErrNotFound) {
		t.Fatalf("test of a missing endpoint: %v", err)
	}
	if _, err := s.RequestSend(ctx, TriggerRedeliver, 5); !errors.Is(err, ErrNotFound) {
		t.Fatalf("redelivery of a missing delivery: %v", err)
	}
	ep, _, err := s.CreateEndpoint(ctx, NewEndpoint{URL: "https://example.com/h"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.RequestSend(ctx, TriggerTest, ep.ID)
	if err != nil || first != 1 {
		t.Fatalf("request: %d %v", first, err)
	}
	second, _ := s.RequestSend(ctx, TriggerTest, ep.ID)
	if ok, err := s.CancelSendRequest(ctx, second); !ok || err != nil {
		t.Fatalf("cancel of an untaken request: %v %v", ok, err)
	}
	taken, err := s.TakeSendRequests(ctx, 10)
	if err != nil || len(taken) != 1 || taken[0].ID != first || taken[0].EndpointID != ep.ID || taken[0].Trigger != TriggerTest {
		t.Fatalf("taken: %+v %v", taken, err)
	}
	if again, _ := s.TakeSendRequests(ctx, 10); len(again) != 0 {
		t.Fatalf("taken twice: %+v", again)
	}
	if ok, _ := s.CancelSendRequest(ctx, first); ok {
		t.Fatal("a taken request was withdrawn")
	}
	if err := s.FinishSendRequest(ctx, first, 42, ""); err != nil {
		t.Fatal(err)
	}
	r, err := s.SendRequestByID(ctx, first)
	if err != nil || !r.Done || !r.Taken || r.DeliveryID != 42 || r.Error != "" {
		t.Fatalf("answered: %+v %v", r, err)
	}
	// Answers are kept an hour for their askers, then removed.
	now = now.Add(sendRequestsKept + time.Second)
	if err := s.PruneSendRequests(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendRequestByID(ctx, first); !errors.Is(err, ErrNotFound) {
		t.Errorf("old answer kept: %v", err)
	}
}
