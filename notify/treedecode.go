package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// decodeTree reads JSON into the tree, keeping object key order and
// numbers as written (json.Number), like a json.Decoder with UseNumber read
// token by token, which cost most of rendering a body. The input is
// checked with json.Valid first, so the scanner below only walks valid
// JSON; strings with escapes or invalid UTF-8 go through encoding/json so they decode exactly as before.
// TestDecodeTreeMatchesDecoder and FuzzDecodeTree hold it to the decoder.
func decodeTree(raw []byte) (any, error) {
	if !json.Valid(raw) {
		return nil, fmt.Errorf("decode event data: %w", errInvalidJSON)
	}
	d := treeDecoder{b: raw}
	v, err := d.value()
	if err != nil {
		return nil, fmt.Errorf("decode event data: %w", err)
	}
	return v, nil
}

var errInvalidJSON = errors.New("invalid JSON")

type treeDecoder struct {
	b []byte
	i int
}

func (d *treeDecoder) skipSpace() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *treeDecoder) value() (any, error) {
	d.skipSpace()
	switch c := d.b[d.i]; {
	case c == '{':
		d.i++
		o := object{}
		d.skipSpace()
		if d.b[d.i] == '}' {
			d.i++
			return o, nil
		}
		for {
			d.skipSpace()
			key, err := d.str()
			if err != nil {
				return nil, err
			}
			d.skipSpace()
			d.i++ // ':'
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			o.set(key, v)
			d.skipSpace()
			if d.b[d.i] == '}' {
				d.i++
				return o, nil
			}
			d.i++ // ','
		}
	case c == '[':
		d.i++
		arr := []any{}
		d.skipSpace()
		if d.b[d.i] == ']' {
			d.i++
			return arr, nil
		}
		for {
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
			d.skipSpace()
			if d.b[d.i] == ']' {
				d.i++
				return arr, nil
			}
			d.i++ // ','
		}
	case c == '"':
		return d.str()
	case c == 't':
		d.i += 4
		return true, nil
	case c == 'f':
		d.i += 5
		return false, nil
	case c == 'n':
		d.i += 4
		return nil, nil
	default:
		start := d.i
		for d.i < len(d.b) {
			switch d.b[d.i] {
			case '-', '+', '.', 'e', 'E', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
				d.i++
				continue
			}
			break
		}
		return json.Number(d.b[start:d.i]), nil
	}
}

// str reads a string at d.i (which is '"').
func (d *treeDecoder) str() (string, error) {
	start := d.i
	plain, high := true, false
	d.i++
	for {
		c := d.b[d.i]
		if c == '"' {
			break
		}
		if c == '\\' {
			plain = false
			d.i += 2
			continue
		}
		if c >= utf8.RuneSelf {
			high = true
		}
		d.i++
	}
	d.i++
	if plain && (!high || utf8.Valid(d.b[start+1:d.i-1])) {
		return string(d.b[start+1 : d.i-1]), nil
	}
	var s string
	if err := json.Unmarshal(d.b[start:d.i], &s); err != nil {
		return "", err
	}
	return s, nil
}
