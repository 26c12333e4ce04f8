package store

import (
	"encoding/json"
	"testing"
)

// headersJSON writes what json.Marshal writes, escapes included.
func TestHeadersJSONIsMarshal(t *testing.T) {
	for _, h := range []map[string]string{
		nil,
		{},
		{"Content-Type": "application/json", "Webhook-Id": "01a2", "User-Agent": "Hookboard-Webhook/dev", "Accept": "*/*"},
		{"X-Quote": `say "hi" \ back`, "X-Html": "<a href='x'>&amp;</a>", "X-Ctl": "tab\there\nnew\x00", "X-Del": "\x7f"},
		{"X-Utf8": "héllo ☃ 🎉", "X-Bad": "\xff\xfe", "X-Sep": "\u2028\u2029", "": "empty key"},
	} {
		want, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if got := headersJSON(h); string(got) != string(want) {
			t.Errorf("headersJSON(%q)\n got %s\nwant %s", h, got, want)
		}
	}
}
