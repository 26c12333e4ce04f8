package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The envelope and transit formats build a small ordered document tree
// from the stored event data, then write it as JSON or Transit. Values are: nil, bool, string, json.Number,
// time.Time, []any, and object (ordered keys).

// field is one key of an object.
type field struct {
	key string
	val any
}

// object is a JSON object that keeps its key order, so that bodies keep
// Kanboard's field order and golden files stay stable.
type object []field

func (o object) get(key string) (any, bool) {
	for _, f := range o {
		if f.key == key {
			return f.val, true
		}
	}
	return nil, false
}

// setDefault appends key unless it is already there.
func (o *object) setDefault(key string, val any) {
	if _, ok := o.get(key); !ok {
		*o = append(*o, field{key, val})
	}
}

// set replaces key's value, or appends it.
func (o *object) set(key string, val any) {
	for i, f := range *o {
		if f.key == key {
			(*o)[i].val = val
			return
		}
	}
	*o = append(*o, field{key, val})
}

// writeJSON writes the tree as compact JSON. Times are ISO 8601 UTC with
// milliseconds.
func writeJSON(buf *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case json.Number:
		buf.WriteString(x.String())
	case string:
		writeJSONString(buf, x)
	case time.Time:
		writeJSONString(buf, isoMillis(x))
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSON(buf, e)
		}
		buf.WriteByte(']')
	case object:
		buf.WriteByte('{')
		for i, f := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, f.key)
			buf.WriteByte(':')
			writeJSON(buf, f.val)
		}
		buf.WriteByte('}')
	default:
		panic(fmt.Sprintf("notify: writeJSON: unexpected %T", v))
	}
}

// writeJSONString writes s as encoding/json does, without its HTML
// escaping: a webhook body is not HTML, and receivers compare text such
// as "<b>" as it was written.
func writeJSONString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	buf.Truncate(buf.Len() - 1) // Encode's newline
}

func isoMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// writeTransit writes the tree as Transit JSON (github.com/cognitect/transit-format):
// maps as ["^ ", k, v, …] with keys as keywords ("~:key"), times as
// "~m<unix millis>", strings starting with ~ ^ or ` escaped with "~",
// integers beyond JavaScript's safe range as "~i…". Nothing is cached
// ("^0"): caching is optional for writers and every reader accepts this.
func writeTransit(buf *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil, bool:
		writeJSON(buf, x)
	case json.Number:
		s := x.String()
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && (n > 1<<53 || n < -(1<<53)) {
				writeJSONString(buf, "~i"+s)
				return
			}
		} else if f, err := x.Float64(); err == nil && (math.IsInf(f, 0) || math.IsNaN(f)) {
			writeJSONString(buf, "~z"+s)
			return
		}
		buf.WriteString(s)
	case string:
		if x != "" && (x[0] == '~' || x[0] == '^' || x[0] == '`') {
			x = "~" + x
		}
		writeJSONString(buf, x)
	case time.Time:
		writeJSONString(buf, "~m"+strconv.FormatInt(x.UnixMilli(), 10))
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeTransit(buf, e)
		}
		buf.WriteByte(']')
	case object:
		buf.WriteString(`["^ "`)
		for _, f := range x {
			buf.WriteByte(',')
			writeJSONString(buf, "~:"+f.key)
			buf.WriteByte(',')
			writeTransit(buf, f.val)
		}
		buf.WriteByte(']')
	default:
		panic(fmt.Sprintf("notify: writeTransit: unexpected %T", v))
	}
}
