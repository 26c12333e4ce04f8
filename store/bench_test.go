package store

import (
	"context"
	"fmt"
	"testing"
)

func benchStore(b *testing.B) *Store {
	b.Helper()
	st, err := openTest(b, testDB(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, _, err := st.Bootstrap(context.Background()); err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkCreateTask is one task and its event per call, one caller at a
// time: the cost of a change when nothing can be batched.
func BenchmarkCreateTask(b *testing.B) {
	st := benchStore(b)
	ctx := context.Background()
	actor := Actor{IntegrationID: 1}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, _, err := st.CreateTask(ctx, actor, NewTask{Title: fmt.Sprintf("task %d", i)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateTaskParallel has 16 callers per CPU at once, so group
// commit batches their transactions.
func BenchmarkCreateTaskParallel(b *testing.B) {
	st := benchStore(b)
	ctx := context.Background()
	actor := Actor{IntegrationID: 1}
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			if _, _, err := st.CreateTask(ctx, actor, NewTask{Title: fmt.Sprintf("task %d", i)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
