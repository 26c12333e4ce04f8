package handlers

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzRedactQuery feeds arbitrary query strings to the access log's
// redaction. Whatever the caller sent, the logged query must not give back
// the value of any secret parameter as Hookboard itself reads the query
// (url.ParseQuery, which the incoming URL uses).
func FuzzRedactQuery(f *testing.F) {
	f.Add("controller=webhook&action=task&token=tok_abc&title=x")
	f.Add("TOKEN=abc&Password=pw&appsecret_proof=00ff")
	f.Add("tok%65n=hidden&title=t")
	f.Add("token[]=a&token[]=b")
	f.Add("%zz=1&token=s3cr3t")
	f.Add("token")
	f.Add("title=a%26token%3Dnot-a-param")
	f.Add("a=1;token=semicolon")
	f.Add("api_key=k&secret=s&&=&")
	f.Fuzz(func(t *testing.T, raw string) {
		out := RedactQuery(raw)
		in, _ := url.ParseQuery(raw)
		logged, _ := url.ParseQuery(out)
		for name, vals := range logged {
			if !secretParams[strings.ToLower(strings.TrimSuffix(name, "[]"))] {
				continue
			}
			for _, v := range vals {
				if v != "REDACTED" {
					t.Fatalf("RedactQuery(%q) = %q: %s=%q is logged", raw, out, name, v)
				}
			}
		}
		for name := range in {
			if !secretParams[strings.ToLower(strings.TrimSuffix(name, "[]"))] {
				continue
			}
			if _, ok := logged[name]; !ok {
				t.Fatalf("RedactQuery(%q) = %q: secret parameter %q vanished instead of showing REDACTED", raw, out, name)
			}
		}
	})
}
