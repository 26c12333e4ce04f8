package handlers

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkRPCCreateTask measures createTask over HTTP against a real
// database file, with as many parallel clients as -cpu × GOMAXPROCS × 8.
func BenchmarkRPCCreateTask(b *testing.B) {
	f := newRPCFixture(b, nil)
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Sprintf(`{"jsonrpc":"2.0","method":"createTask","id":%d,"params":{"title":"bench %d","project_id":%d}}`, i, i, f.p1)
			req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/jsonrpc", strings.NewReader(body))
			req.SetBasicAuth("jsonrpc", f.appToken)
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
