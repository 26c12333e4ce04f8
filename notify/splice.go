package notify

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"hookboard/store"
)

// kanboardSplice builds the kanboard body of ev from the stored event data
// without a tree: the stored bytes are copied, with the fields
// completeKanboard would add written after them (and into the nested
// comment/subtask/file object). It does so only for data it can show gives
// the very bytes of kanboardBody's decode, complete and write:
//
//   - compact JSON (no space between tokens) whose top level is an object;
//   - no object with the same key twice, no escape in a key;
//   - strings of valid UTF-8 without a raw U+2028 or U+2029 (writeJSON
//     escapes those), and without escapes for a UTF-16 surrogate.
//
// Numbers, literals and key order survive the tree as written. An escape
// is copied when writeJSONString writes its character the same way, and
// replaced by what it writes otherwise (json.Marshal's \u003c for "<"
// becomes "<", as the tree's writer has it). ok is false for anything
// else, and for a nested object that is not an object; kanboardBody
// renders those. TestKanboardSpliceMatchesTree and FuzzKanboardSplice hold
// it to kanboardBody.
func kanboardSplice(ev store.Event) (body []byte, ok bool) {
	s := splicePool.Get().(*splice)
	defer s.release()
	s.b = ev.Data
	if len(s.b) == 0 || s.b[0] != '{' || !s.object(1) || s.i != len(s.b) {
		return nil, false
	}
	data, nested := &s.data, &s.nested
	*data = patch{v1: len(s.b), fields: s.top, repl: -1, add: data.add} // add: emptied by release
	if !s.complete(ev.Name, data, nested) {
		return nil, false
	}
	out := make([]byte, 0, len(s.b)+len(ev.Name)+len(ev.AuthorName)+48+data.extra()+nested.extra())
	out = append(out, `{"event_name":`...)
	out = appendJSONString(out, ev.Name)
	out = append(out, `,"event_data":`...)
	out = s.appendPatch(out, data)
	out = append(out, `,"event_author":`...)
	if ev.AuthorName == "" {
		out = append(out, "null"...)
	} else {
		out = appendJSONString(out, ev.AuthorName)
	}
	return append(out, '}'), true
}

// spliceMaxDepth bounds the nesting kanboardSplice reads; deeper data goes
// the tree's way.
const spliceMaxDepth = 64

// splice reads stored event data: it checks that the bytes are what the
// tree's writer would write back (see kanboardSplice) and notes the fields
// of the top-level object and of the objects directly in it. Its slices
// are kept for the next body in splicePool.
type splice struct {
	b    []byte
	i    int
	top  []rawField // fields of the top-level object
	sub  []rawField // fields of the objects that are values of top-level fields
	keys []uint64   // hashes of the keys of the objects being read
	esc  []escape   // escapes written otherwise by writeJSONString, in order

	data, nested patch // the top-level object and the comment, subtask or file in it
}

var splicePool = sync.Pool{New: func() any { return new(splice) }}

// release empties s, keeping its slices (unless an odd event made them
// large), and puts it back in splicePool. Nothing in them keeps the data.
func (s *splice) release() {
	if cap(s.sub) > 1024 || cap(s.keys) > 1024 || cap(s.esc) > 1024 {
		*s = splice{}
	} else {
		clear(s.top)
		clear(s.sub)
		clear(s.esc)
		clear(s.data.add)
		clear(s.nested.add)
		*s = splice{top: s.top[:0], sub: s.sub[:0], keys: s.keys[:0], esc: s.esc[:0],
			data: patch{add: s.data.add[:0]}, nested: patch{add: s.nested.add[:0]}}
	}
	splicePool.Put(s)
}

// rawField is one field as stored: key (no escapes, no quotes) and the
// value b[v0:v1]. sub0, sub1: a top-level object value's fields in sub.
type rawField struct {
	key        []byte
	v0, v1     int
	sub0, sub1 int
}

// escape: b[at:at+n] is an escape that writeJSONString writes as canon.
type escape struct {
	at, n int
	canon string
}

// object reads an object at s.i; depth 1 is the top level.
func (s *splice) object(depth int) bool {
	if depth > spliceMaxDepth {
		return false
	}
	s.i++ // '{'
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	base := len(s.keys)
	var seen [4]uint64 // a filter of the key hashes
	for {
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return false
		}
		k0 := s.i + 1
		if !s.str(true) {
			return false
		}
		key := s.b[k0 : s.i-1]
		h := uint64(14695981039346656037) // FNV-1a
		for _, c := range key {
			h = (h ^ uint64(c)) * 1099511628211
		}
		if seen[h>>6&3]&(1<<(h&63)) != 0 && slices.Contains(s.keys[base:], h) {
			return false // the same key twice (or a hash collision): the tree keeps one
		}
		seen[h>>6&3] |= 1 << (h & 63)
		s.keys = append(s.keys, h)
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		f := rawField{key: key, v0: s.i, sub0: len(s.sub)}
		if !s.value(depth) {
			return false
		}
		f.v1, f.sub1 = s.i, len(s.sub)
		switch depth {
		case 1:
			s.top = append(s.top, f)
		case 2:
			f.sub0, f.sub1 = 0, 0
			s.sub = append(s.sub, f)
		}
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			s.keys = s.keys[:base]
			return true
		default:
			return false
		}
	}
}

// value reads any value at s.i, inside a container at depth.
func (s *splice) value(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(depth + 1)
	case c == '[':
		return s.array(depth + 1)
	case c == '"':
		return s.str(false)
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return false
}

func (s *splice) array(depth int) bool {
	if depth > spliceMaxDepth {
		return false
	}
	s.i++ // '['
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return true
	}
	for {
		if !s.value(depth) || s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *splice) literal(word string) bool {
	if string(s.b[s.i:min(len(s.b), s.i+len(word))]) != word {
		return false
	}
	s.i += len(word)
	return true
}

// number reads a number as JSON's grammar has it.
func (s *splice) number() bool {
	b, i := s.b, s.i
	digits := func() bool {
		start := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i > start
	}
	if b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if !digits() {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	s.i = i
	return true
}

// str reads a string at s.i (which is '"'). A key may have no escape.
func (s *splice) str(key bool) bool {
	s.i++
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return true
		case c == '\\':
			if key || !s.escape() {
				return false
			}
		case c < 0x20:
			return false
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, n := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && n == 1 || r == '\u2028' || r == '\u2029' {
				return false
			}
			s.i += n
		}
	}
	return false
}

// escape reads the escape at s.i and notes it when writeJSONString writes
// its character otherwise.
func (s *splice) escape() bool {
	at := s.i
	if at+1 >= len(s.b) {
		return false
	}
	n, r := 2, rune(0)
	switch c := s.b[at+1]; c {
	case '"', '\\', '/':
		r = rune(c)
	case 'b':
		r = '\b'
	case 'f':
		r = '\f'
	case 'n':
		r = '\n'
	case 'r':
		r = '\r'
	case 't':
		r = '\t'
	case 'u':
		if at+6 > len(s.b) {
			return false
		}
		for _, h := range s.b[at+2 : at+6] {
			switch {
			case '0' <= h && h <= '9':
				r = r<<4 | rune(h-'0')
			case 'a' <= h && h <= 'f':
				r = r<<4 | rune(h-'a'+10)
			case 'A' <= h && h <= 'F':
				r = r<<4 | rune(h-'A'+10)
			default:
				return false
			}
		}
		if utf8.RuneLen(r) < 0 {
			return false // a surrogate: half of a pair, or alone
		}
		n = 6
	default:
		return false
	}
	// How encoding/json without HTML escaping writes the rune: ASCII by
	// its table; beyond, the UTF-8 itself, except the two JavaScript line
	// terminators (TestJSONStringsAsEncoder holds this to the encoder).
	var canon string
	switch {
	case r < utf8.RuneSelf:
		canon = asciiJSON[r]
	case r == '\u2028':
		canon = `\u2028`
	case r == '\u2029':
		canon = `\u2029`
	default:
		canon = string(r)
	}
	if canon != string(s.b[at:at+n]) {
		s.esc = append(s.esc, escape{at, n, canon})
	}
	s.i += n
	return true
}

// asciiJSON is how encoding/json (and so writeJSONString) writes each
// ASCII character, without the quotes.
var asciiJSON = func() (t [utf8.RuneSelf]string) {
	for c := range t {
		t[c] = jsonStringBody(string(rune(c)))
	}
	return t
}()

// jsonStringBody is encoding/json's encoding of s (writeJSONString's)
// without the quotes.
func jsonStringBody(s string) string {
	var buf bytes.Buffer
	encodeJSONString(&buf, s)
	return buf.String()[1 : buf.Len()-1]
}

// asciiPlain: encoding/json writes the ASCII character as it is. It
// encodes each ASCII byte of a string alone.
var asciiPlain = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = asciiJSON[c] == string(rune(c))
	}
	return t
}()

// jsonPlain: s is ASCII that encoding/json writes as it is, between quotes.
func jsonPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || !asciiPlain[c] {
			return false
		}
	}
	return true
}

// appendJSONString appends s as writeJSONString writes it.
func appendJSONString(out []byte, s string) []byte {
	if !jsonPlain(s) {
		buf := bytes.NewBuffer(out)
		encodeJSONString(buf, s)
		return buf.Bytes()
	}
	out = append(out, '"')
	out = append(out, s...)
	return append(out, '"')
}

// appendSpan appends b[a:z] with its noted escapes replaced.
func (s *splice) appendSpan(out []byte, a, z int) []byte {
	k, _ := slices.BinarySearchFunc(s.esc, a, func(e escape, at int) int { return e.at - at })
	for _, e := range s.esc[k:] {
		if e.at >= z {
			break
		}
		out = append(out, s.b[a:e.at]...)
		out = append(out, e.canon...)
		a = e.at + e.n
	}
	return append(out, s.b[a:z]...)
}

// rawValue is a value for the body: obj when not nil, else lit (JSON as
// writeJSON writes it) when not "", else b[a:z] as stored.
type rawValue struct {
	a, z int
	lit  string
	obj  *patch
}

// first is the first byte of a value that is not obj: its JSON type.
func (v rawValue) first(b []byte) byte {
	if v.lit != "" {
		return v.lit[0]
	}
	return b[v.a]
}

// addedField is a field added to a patch: its key is key, or rawKey (a
// stored key) when not nil.
type addedField struct {
	key    string
	rawKey []byte
	val    rawValue
}

func (f *addedField) is(key string) bool {
	if f.rawKey != nil {
		return string(f.rawKey) == key
	}
	return f.key == key
}

// patch is a stored object as the body has it: its fields, field repl's
// value replaced by val (-1: none), then the added fields.
type patch struct {
	v0, v1 int // the object as stored: b[v0:v1]
	fields []rawField
	repl   int
	val    rawValue
	add    []addedField
}

// get finds key as completeKanboard's object.get would, on the patched object.
func (p *patch) get(key string) (rawValue, bool) {
	for i, f := range p.fields {
		if string(f.key) == key {
			if i == p.repl {
				return p.val, true
			}
			return rawValue{a: f.v0, z: f.v1}, true
		}
	}
	for i := range p.add {
		if p.add[i].is(key) {
			return p.add[i].val, true
		}
	}
	return rawValue{}, false
}

func (p *patch) setDefault(key string, v rawValue) {
	if _, ok := p.get(key); !ok {
		p.add = append(p.add, addedField{key: key, val: v})
	}
}

// objectField is top-level field key as a patch when its value is an object.
func (s *splice) objectField(key string) (patch, bool) {
	for _, f := range s.top {
		if string(f.key) == key {
			if s.b[f.v0] != '{' {
				return patch{}, false
			}
			return patch{v0: f.v0, v1: f.v1, fields: s.sub[f.sub0:f.sub1], repl: -1}, true
		}
	}
	return patch{}, false
}

// Values completeKanboard adds, as writeJSON writes them.
var (
	litZero       = treeJSON(json.Number("0"))
	litEmptyArray = treeJSON([]any{})
	nestedLits    = func() map[string][]string {
		m := map[string][]string{}
		for kind, keys := range nestedKeys {
			for _, k := range keys {
				m[kind] = append(m[kind], treeJSON(k.val))
			}
		}
		return m
	}()
	subtaskStatusLits = func() map[string]string {
		m := map[string]string{}
		for n, name := range subtaskStatusNames {
			m[n] = treeJSON(name)
		}
		return m
	}()
)

func treeJSON(v any) string {
	var buf bytes.Buffer
	writeJSON(&buf, v)
	return buf.String()
}

// complete does completeKanboard's work on the patches: data is the
// top-level object, nested gets the comment, subtask or file object. It
// is false where kanboardSplice leaves the body to the tree: a nested
// object that is not an object.
func (s *splice) complete(event string, data, nested *patch) bool {
	task, _ := s.objectField("task")
	if id, ok := task.get("id"); ok {
		data.setDefault("task_id", id)
	}
	if kind := objectKind(event); kind != "" {
		obj, ok := s.objectField(kind)
		if !ok {
			return false
		}
		nested.v0, nested.v1, nested.fields, nested.repl = obj.v0, obj.v1, obj.fields, -1
		for i, k := range nestedKeys[kind] {
			nested.setDefault(k.key, rawValue{lit: nestedLits[kind][i]})
		}
		if kind == "subtask" {
			// The tree's nil is null. Its json.Number's text is the number
			// as written, and no other value's JSON is one of the keys of
			// subtaskStatusNames.
			if name, _ := nested.get("status_name"); name.first(s.b) == 'n' {
				status, _ := nested.get("status")
				lit := subtaskStatusLits[status.lit]
				if status.lit == "" {
					lit = subtaskStatusLits[string(s.b[status.a:status.z])]
				}
				if lit != "" {
					nested.set("status_name", rawValue{lit: lit})
				}
			}
		}
		data.set(kind, rawValue{obj: nested})
		for i, f := range nested.fields {
			if string(f.key) != kind {
				v := rawValue{a: f.v0, z: f.v1}
				if i == nested.repl {
					v = nested.val
				}
				if _, ok := data.get(string(f.key)); !ok {
					data.add = append(data.add, addedField{rawKey: f.key, val: v})
				}
			}
		}
		for _, f := range nested.add {
			if f.key != kind {
				data.setDefault(f.key, f.val)
			}
		}
	}
	isMove := strings.HasPrefix(event, "task.move.")
	if isMove && event != store.EventTaskMoveProject {
		changes, _ := s.objectField("changes")
		for _, key := range moveKeys {
			if _, ok := data.get(key); ok {
				continue
			}
			val, ok := moveField(key, changes.get, task.get)
			if !ok {
				val = rawValue{lit: litZero}
			}
			data.add = append(data.add, addedField{key: key, val: val})
		}
	}
	if isMove || event == store.EventTaskUpdate || event == store.EventTaskAssigneeChange || event == store.EventSubtaskUpdate {
		data.setDefault("changes", rawValue{lit: litEmptyArray})
	}
	return true
}

// set replaces key's value, or adds it, as completeKanboard's object.set.
func (p *patch) set(key string, v rawValue) {
	for i, f := range p.fields {
		if string(f.key) == key {
			p.repl, p.val = i, v
			return
		}
	}
	for i := range p.add {
		if p.add[i].is(key) {
			p.add[i].val = v
			return
		}
	}
	p.add = append(p.add, addedField{key: key, val: v})
}

// extra estimates the bytes p adds to the stored object.
func (p *patch) extra() int {
	n := 0
	for _, f := range p.add {
		n += len(f.key) + len(f.rawKey) + 4 + len(f.val.lit) + f.val.z - f.val.a
	}
	return n
}

// appendPatch appends the patched object p.
func (s *splice) appendPatch(out []byte, p *patch) []byte {
	end := p.v1 - 1 // the stored '}'
	if p.repl >= 0 {
		f := p.fields[p.repl]
		out = s.appendSpan(out, p.v0, f.v0)
		out = s.appendValue(out, p.val)
		out = s.appendSpan(out, f.v1, end)
	} else {
		out = s.appendSpan(out, p.v0, end)
	}
	for i, f := range p.add {
		if i > 0 || len(p.fields) > 0 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, f.key...)
		out = append(out, f.rawKey...)
		out = append(out, `":`...)
		out = s.appendValue(out, f.val)
	}
	return append(out, '}')
}

func (s *splice) appendValue(out []byte, v rawValue) []byte {
	if v.obj != nil {
		return s.appendPatch(out, v.obj)
	}
	if v.lit != "" {
		return append(out, v.lit...)
	}
	return s.appendSpan(out, v.a, v.z)
}
