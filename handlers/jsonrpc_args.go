package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"hookboard/store"
)

// A procedure declares its parameters as a struct. Each field's `rpc` tag
// names one of Kanboard's parameters, in Kanboard's order, optionally
// followed by ",required" or ",default=N". The field's type reads the
// argument as PHP would:
//
//   - int64: a number, a numeric string or a boolean; "" keeps the default.
//   - string: a string, or a number taken as its text.
//   - float64: a non-negative number or numeric string; "" counts as absent.
//   - rpcStrings: an array of strings (numbers are taken as their text).
//   - rpcDate: unix seconds or a date (store.ParseDate's forms); "" and 0 clear it.
//   - []int64: a JSON array of ints as int64 reads them (PHP's array $ids).
//   - rpcValues: a name → value object (a list counts from "0"), values
//     strings, numbers or booleans, as PHP stores them.
//
// A pointer field stays nil when the argument is absent or null, so an
// update can tell "leave it" from "set it". A blank field (_) names a
// parameter Kanboard takes that Hookboard accepts and ignores.

// rpcDate is a date parameter, in unix seconds; 0 is no date.
type rpcDate int64

// rpcStrings is an array parameter of strings, such as tag names.
type rpcStrings []string

// rpcValues is an array parameter of names and values (metadata).
type rpcValues map[string]string

// rpcSignature is a params struct read once at init: the parameter names in
// order, how many lead as required, and where each one goes.
type rpcSignature struct {
	params   []string
	required int
	fields   []rpcField
}

type rpcField struct {
	name  string
	index int   // the struct field; -1 for an ignored parameter
	def   int64 // an int64 field's default
}

// signatureOf reads a params struct's tags. It panics on a malformed one:
// procedures are registered at init, so a mistake stops the program at once.
func signatureOf(t reflect.Type) rpcSignature {
	var s rpcSignature
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("rpc")
		if !ok {
			panic(fmt.Sprintf("handlers: %s.%s has no rpc tag", t, sf.Name))
		}
		name, opt, _ := strings.Cut(tag, ",")
		f := rpcField{name: name, index: i}
		if sf.Name == "_" {
			f.index = -1
		} else if !paramTypes[derefType(sf.Type)] {
			panic(fmt.Sprintf("handlers: %s.%s has no parameter type", t, sf.Name))
		}
		switch {
		case opt == "required":
			// Kanboard's required parameters lead its signatures; positional
			// calls depend on it.
			if s.required != len(s.params) {
				panic(fmt.Sprintf("handlers: %s: required %s after an optional parameter", t, name))
			}
			s.required++
		case strings.HasPrefix(opt, "default="):
			n, err := strconv.ParseInt(strings.TrimPrefix(opt, "default="), 10, 64)
			if err != nil || sf.Type != reflect.TypeFor[int64]() {
				panic(fmt.Sprintf("handlers: %s.%s: bad default", t, sf.Name))
			}
			f.def = n
		case opt != "":
			panic(fmt.Sprintf("handlers: %s.%s: unknown option %q", t, sf.Name, opt))
		}
		s.params = append(s.params, name)
		s.fields = append(s.fields, f)
	}
	return s
}

func derefType(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}

// bind reads a call's params into dst, a params struct: the count and the
// names first (bindArgs), then each argument by its field's type.
func (s *rpcSignature) bind(raw json.RawMessage, dst reflect.Value) *rpcError {
	args, perr := bindArgs(s.params, s.required, raw)
	if perr != nil {
		return perr
	}
	for i, f := range s.fields {
		if f.index < 0 {
			continue
		}
		fv := dst.Field(f.index)
		if f.def != 0 {
			fv.SetInt(f.def)
		}
		v := args[i]
		if v == nil || bytes.Equal(v, []byte("null")) {
			continue
		}
		if fv.Kind() != reflect.Pointer {
			if _, err := readArg(v, fv.Addr().Interface()); err != nil {
				return invalidArg(f.name)
			}
			continue
		}
		p := reflect.New(fv.Type().Elem())
		set, err := readArg(v, p.Interface())
		if err != nil {
			return invalidArg(f.name)
		}
		if set {
			fv.Set(p)
		}
	}
	return nil
}

// bindArgs maps positional or named params onto a procedure's parameter
// list, checking the count first, as Kanboard's JSON-RPC server does:
// fewer than the required -> "Wrong number of arguments", more than the
// list -> "Too many arguments", then a named call missing a required
// parameter -> "Missing argument: NAME". Unknown names count but are
// ignored. The result holds each parameter's argument, nil when absent.
func bindArgs(params []string, required int, raw json.RawMessage) ([]json.RawMessage, *rpcError) {
	bad := func(data string) *rpcError {
		return &rpcError{Code: rpcInvalidParams, Message: "Invalid params", Data: data}
	}
	var positional []json.RawMessage
	var named map[string]json.RawMessage
	n := 0
	if len(raw) > 0 {
		if raw[0] == '[' {
			if err := json.Unmarshal(raw, &positional); err != nil {
				return nil, bad("Invalid params")
			}
			n = len(positional)
		} else {
			if err := json.Unmarshal(raw, &named); err != nil {
				return nil, bad("Invalid params")
			}
			n = len(named)
		}
	}
	if n < required {
		return nil, bad("Wrong number of arguments")
	}
	if n > len(params) {
		return nil, bad("Too many arguments")
	}
	args := make([]json.RawMessage, len(params))
	if positional != nil {
		copy(args, positional)
		return args, nil
	}
	for i, name := range params {
		if v, ok := named[name]; ok {
			args[i] = v
		} else if i < required {
			return nil, bad("Missing argument: " + name)
		}
	}
	return args, nil
}

func invalidArg(name string) *rpcError {
	return &rpcError{Code: rpcInvalidParams, Message: "Invalid params", Data: "Invalid argument: " + name}
}

// paramTypes are the field types readArg reads, alone or behind a pointer.
var paramTypes = map[reflect.Type]bool{
	reflect.TypeFor[int64](): true, reflect.TypeFor[string](): true,
	reflect.TypeFor[float64](): true, reflect.TypeFor[rpcDate](): true,
	reflect.TypeFor[rpcStrings](): true,
	reflect.TypeFor[[]int64]():    true,
	reflect.TypeFor[rpcValues]():  true,
}

var errBadArg = errors.New("handlers: bad argument")

// readArg reads one given (non-null) argument into dst, a pointer to a
// parameter type. set is false when the argument counts as absent.
func readArg(raw json.RawMessage, dst any) (set bool, err error) {
	switch d := dst.(type) {
	case *int64:
		return true, readInt(raw, d)
	case *string:
		return true, readString(raw, d)
	case *float64:
		return readFloat(raw, d)
	case *rpcDate:
		return true, readDate(raw, d)
	case *rpcStrings:
		return true, readStrings(raw, d)
	case *[]int64:
		return true, readInts(raw, d)
	case *rpcValues:
		return true, readValues(raw, d)
	}
	panic(fmt.Sprintf("handlers: %T is no parameter type", dst)) // signatureOf refuses such fields

}

// readInt reads an integer as PHP casts one: numbers with no fraction,
// numeric strings and booleans; "" leaves dst as it was (the default).
func readInt(raw json.RawMessage, dst *int64) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return errBadArg
	}
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			*dst = n
			return nil
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			*dst = int64(f)
			return nil
		}
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return nil
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			*dst = n
			return nil
		}
	case bool:
		*dst = 0
		if x {
			*dst = 1
		}
		return nil
	}
	return errBadArg
}

// readString reads a string; a number is taken as its text.
func readString(raw json.RawMessage, dst *string) error {
	if json.Unmarshal(raw, dst) == nil {
		return nil
	}
	var num json.Number
	if json.Unmarshal(raw, &num) == nil {
		*dst = num.String()
		return nil
	}
	return errBadArg
}

// readFloat reads a non-negative number (the hours of a time field) or a
// numeric string; "" is absent.
func readFloat(raw json.RawMessage, dst *float64) (bool, error) {
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return false, errBadArg
		}
		*dst = f
		return true, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		s = strings.TrimSpace(s)
		if s == "" {
			return false, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && !math.IsInf(f, 0) && !math.IsNaN(f) {
			*dst = f
			return true, nil
		}
	}
	return false, errBadArg
}

// readDate reads unix seconds or a date string; "" and 0 are no date.
func readDate(raw json.RawMessage, dst *rpcDate) error {
	var s string
	if err := readString(raw, &s); err != nil {
		return err
	}
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		*dst = 0
		return nil
	}
	d, err := store.ParseDate(s)
	if err != nil {
		return errBadArg
	}
	*dst = rpcDate(d)
	return nil
}

// readStrings reads an array of strings; a number in it is taken as its
// text. Anything else (an object, a lone string) is refused: Kanboard's PHP
// dies on it.
func readStrings(raw json.RawMessage, dst *rpcStrings) error {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return errBadArg
	}
	out := make(rpcStrings, 0, len(items))
	for _, it := range items {
		var s string
		if err := readString(it, &s); err != nil {
			return err
		}
		out = append(out, s)
	}
	*dst = out
	return nil
}

// readInts reads an array of integers, each as readInt reads one.
func readInts(raw json.RawMessage, dst *[]int64) error {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return errBadArg
	}
	out := make([]int64, len(items))
	for i, item := range items {
		if err := readInt(item, &out[i]); err != nil {
			return err
		}
	}
	*dst = out
	return nil
}

// readValues reads a JSON object of names and values, or a list (PHP's
// array with keys "0", "1", …). A value is a string, a number (its text)
// or a boolean ("1" or "", as PHP writes them); anything else is refused.
func readValues(raw json.RawMessage, dst *rpcValues) error {
	var items map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return errBadArg
		}
		items = make(map[string]json.RawMessage, len(list))
		for i, v := range list {
			items[strconv.Itoa(i)] = v
		}
	}
	out := make(rpcValues, len(items))
	for k, v := range items {
		var b bool
		if json.Unmarshal(v, &b) == nil {
			out[k] = map[bool]string{true: "1", false: ""}[b]
			continue
		}
		var s string
		if readString(v, &s) != nil {
			return errBadArg
		}
		out[k] = s
	}
	*dst = out
	return nil
}
