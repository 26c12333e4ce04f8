package handlers

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// rpcArgs are a call's arguments by parameter name; a missing optional
// argument is absent.
type rpcArgs map[string]json.RawMessage

// bindArgs maps positional or named params onto a procedure's parameter
// list, checking the count first, as Kanboard's JSON-RPC server does:
// fewer than the required -> "Wrong number of arguments", more than the
// list -> "Too many arguments", then a named call missing a required
// parameter -> "Missing argument: NAME". Unknown names count but are ignored.
func bindArgs(params []string, required int, raw json.RawMessage) (rpcArgs, *rpcError) {
	bad := func(data string) *rpcError {
		return &rpcError{Code: rpcInvalidParams, Message: "Invalid params", Data: data}
	}
	args := rpcArgs{}
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
	if positional != nil {
		for i, v := range positional {
			args[params[i]] = v
		}
		return args, nil
	}
	for i, name := range params {
		if v, ok := named[name]; ok {
			args[name] = v
		} else if i < required {
			return nil, bad("Missing argument: " + name)
		}
	}
	return args, nil
}

func invalidArg(name string) *rpcError {
	return &rpcError{Code: rpcInvalidParams, Message: "Invalid params", Data: "Invalid argument: " + name}
}

// given tells whether an argument was passed with a non-null value.
func (a rpcArgs) given(name string) bool {
	v, ok := a[name]
	return ok && !bytes.Equal(v, []byte("null"))
}

// int reads an integer argument; absent or null is def. Like PHP, numeric
// strings and booleans are accepted.
func (a rpcArgs) int(name string, def int64) (int64, error) {
	if !a.given(name) {
		return def, nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(a[name]))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return 0, invalidArg(name)
	}
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, nil
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), nil
		}
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return def, nil
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	return 0, invalidArg(name)
}

// optInt is int with nil for absent or null.
func (a rpcArgs) optInt(name string) (*int64, error) {
	if !a.given(name) {
		return nil, nil
	}
	n, err := a.int(name, 0)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// str reads a string argument; numbers are taken as their text, absent or
// null is "".
func (a rpcArgs) str(name string) (string, error) {
	if !a.given(name) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(a[name], &s); err == nil {
		return s, nil
	}
	var num json.Number
	if err := json.Unmarshal(a[name], &num); err == nil {
		return num.String(), nil
	}
	return "", invalidArg(name)
}

// optStr is str with nil for absent or null.
func (a rpcArgs) optStr(name string) (*string, error) {
	if !a.given(name) {
		return nil, nil
	}
	s, err := a.str(name)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// float reads a number (or numeric string); absent, null or "" is 0.
func (a rpcArgs) optFloat(name string) (*float64, error) {
	if !a.given(name) {
		return nil, nil
	}
	var f float64
	if err := json.Unmarshal(a[name], &f); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return nil, invalidArg(name)
		}
		return &f, nil
	}
	var s string
	if err := json.Unmarshal(a[name], &s); err == nil {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return &f, nil
		}
	}
	return nil, invalidArg(name)
}

// date reads a date argument: "" or 0 is none, else unix seconds or a date
// string (parseDate's forms).
func (a rpcArgs) optDate(name string) (*int64, error) {
	if !a.given(name) {
		return nil, nil
	}
	s, err := a.str(name)
	if err != nil {
		return nil, err
	}
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		var zero int64
		return &zero, nil
	}
	d, err := parseDate(s)
	if err != nil {
		return nil, invalidArg(name)
	}
	return &d, nil
}
