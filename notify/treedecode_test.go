package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"
)

// decodeTreeStd is the token-by-token json.Decoder that decodeTree
// replaced: the reference it must match.
func decodeTreeStd(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return decodeValueStd(dec)
}

func decodeValueStd(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := object{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeValueStd(dec)
				if err != nil {
					return nil, err
				}
				o.set(kt.(string), v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeValueStd(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil
	}
}

var treeSamples = []string{
	`{}`, `[]`, ` { "a" : [ 1 , -2.5e+3 , true , false , null , "x" ] , "b" : { } } `,
	`{"a":1,"a":2,"b":[{"c":"d"}]}`,
	`{"s":"plain","u":"Ünïcode ✓","e":"tab\tquote\" slash\\ \u00e9 \ud83d\ude00 \/","bad":"` + "\xff\xfe" + `"}`,
	`"just a string"`, `12345678901234567890`, `{"f":1e400,"z":-0,"n":0.000001}`,
	`{"task_id":1,"task":{"id":1,"column_id":2},"changes":{"src_column_id":1}}`,
	`[[[[]]],{"":""}]`,
}

func TestDecodeTreeMatchesDecoder(t *testing.T) {
	samples := append([]string(nil), treeSamples...)
	for _, ev := range sampleEvents(t, openDB(t, newClock()).st) {
		samples = append(samples, string(ev.Data))
	}
	for _, s := range samples {
		want, werr := decodeTreeStd([]byte(s))
		got, gerr := decodeTree([]byte(s))
		if (werr != nil) != (gerr != nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\ngot  %#v, %v\nwant %#v, %v", s, got, gerr, want, werr)
		}
	}
	for _, bad := range []string{``, `{`, `{"a":}`, `[1,]`, `{"a" 1}`, `"\x"`, `tru`, "\"ctl\x01\""} {
		if _, err := decodeTree([]byte(bad)); err == nil {
			t.Errorf("%q: decoded, want an error", bad)
		}
	}
}

// FuzzDecodeTree: on every valid JSON document the scanner gives the
// decoder's tree.
func FuzzDecodeTree(f *testing.F) {
	for _, s := range treeSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			if _, err := decodeTree([]byte(s)); err == nil {
				t.Fatalf("%q is not JSON but decoded", s)
			}
			return
		}
		want, werr := decodeTreeStd([]byte(s))
		got, gerr := decodeTree([]byte(s))
		if werr != nil || gerr != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\ngot  %#v, %v\nwant %#v, %v", s, got, gerr, want, werr)
		}
	})
}

// One pass renders an event once per format: every endpoint of a format
// gets the very same body, and each format its own.
func TestBodiesRenderOncePerFormat(t *testing.T) {
	ev := sampleEvents(t, openDB(t, newClock()).st)["task.create"]
	b := &bodies{}
	first, err := b.render("kanboard", ev)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := b.render("kanboard", ev)
	if &first.Body[0] != &again.Body[0] {
		t.Error("the kanboard body was rendered twice")
	}
	want, _ := Render("kanboard", ev)
	if !bytes.Equal(first.Body, want.Body) || first.ContentType != want.ContentType {
		t.Errorf("cached body differs from Render's:\n%s\n%s", first.Body, want.Body)
	}
	env, _ := b.render("envelope", ev)
	if bytes.Equal(env.Body, first.Body) {
		t.Error("the envelope format got the kanboard body")
	}
	if len(b.m) != 2 {
		t.Errorf("%d bodies cached, want 2", len(b.m))
	}

	// Ten endpoints' attempts asking at once, as a request's fan-out
	// does, share one rendering too.
	b = &bodies{}
	var wg sync.WaitGroup
	got := make([]*byte, 10)
	for i := range got {
		wg.Go(func() {
			if p, err := b.render("kanboard", ev); err == nil {
				got[i] = &p.Body[0]
			}
		})
	}
	wg.Wait()
	for i, p := range got {
		if p == nil || p != got[0] {
			t.Fatalf("attempt %d asking at the same time got a body of its own", i)
		}
	}
}
