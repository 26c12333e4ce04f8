package handlers

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"hookboard/store"
)

// Kanboard's ActionProcedure: a project's automatic actions. Listing the
// actions and events needs no project; reading, adding and removing a
// project's rules needs its manager role (jsonrpc_access.go).

func procGetAvailableActions(*rpcCall, noParams) (any, error) {
	o := jsonObject{}
	for _, k := range store.ActionKinds() {
		o = append(o, jsonMember{k.Name, k.Description})
	}
	return o, nil
}

func procGetAvailableActionEvents(*rpcCall, noParams) (any, error) {
	return actionEvents(nil), nil
}

// actionEvents lists the action events (all, or those in only), sorted by
// description as Kanboard's EventManager lists them.
func actionEvents(only []string) jsonObject {
	o := jsonObject{}
	for _, ev := range store.ActionEventsOf(only) {
		o = append(o, jsonMember{ev.Name, ev.Description})
	}
	return o
}

type actionNameParams struct {
	ActionName string `rpc:"action_name,required"`
}

func procGetCompatibleActionEvents(_ *rpcCall, p actionNameParams) (any, error) {
	k, ok := store.ActionKindByName(p.ActionName)
	if !ok {
		// Kanboard's ActionManager throws; the RPC layer answers its message.
		return nil, &rpcError{Code: 0, Message: "Automatic Action Not Found: " + p.ActionName}
	}
	return actionEvents(k.Events), nil
}

type actionIDParams struct {
	ActionID int64 `rpc:"action_id,required"`
}

func procRemoveAction(c *rpcCall, p actionIDParams) (any, error) {
	a, err := c.a.store.ActionByID(c.ctx(), p.ActionID)
	if err := c.ownedBy(a.ProjectID, err); err != nil {
		return c.fail(err, false)
	}
	return c.written(true, nil, c.a.store.RemoveAction(c.ctx(), p.ActionID))
}

type projectIDParams struct {
	ProjectID int64 `rpc:"project_id,required"`
}

func procGetActions(c *rpcCall, p projectIDParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	actions, err := c.a.store.Actions(c.ctx(), p.ProjectID)
	if err != nil {
		return c.fail(err, []any{})
	}
	out := make([]any, 0, len(actions))
	for _, a := range actions {
		out = append(out, actionJSON(a))
	}
	return out, nil
}

// actionJSON is Kanboard's actions row with its params, an object of
// name → value (values are strings, as stored), or [] when it has none
// (PHP's empty array).
func actionJSON(a store.Action) jsonObject {
	var params any = []any{}
	if len(a.Params) > 0 {
		o := jsonObject{}
		for _, p := range a.Params {
			o = append(o, jsonMember{p.Name, p.Value})
		}
		params = o
	}
	return jsonObject{{"id", a.ID}, {"project_id", a.ProjectID}, {"event_name", a.EventName},
		{"action_name", a.ActionName}, {"params", params}}
}

type createActionParams struct {
	ProjectID  int64     `rpc:"project_id,required"`
	EventName  string    `rpc:"event_name,required"`
	ActionName string    `rpc:"action_name,required"`
	Params     rpcValues `rpc:"params,required"`
}

func procCreateAction(c *rpcCall, p createActionParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	// Stored in the action's own order of parameters; names it does not
	// take go last, for the store to refuse.
	var order []string
	if k, ok := store.ActionKindByName(p.ActionName); ok {
		for _, sp := range k.Params {
			order = append(order, sp.Name)
		}
	}
	rank := func(n string) int {
		if i := slices.Index(order, n); i >= 0 {
			return i
		}
		return len(order)
	}
	names := slices.SortedFunc(maps.Keys(p.Params), func(a, b string) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
	})
	params := make([]store.ActionParam, 0, len(names))
	for _, n := range names {
		params = append(params, store.ActionParam{Name: n, Value: p.Params[n]})
	}
	id, err := c.a.store.CreateAction(c.ctx(), p.ProjectID, p.EventName, p.ActionName, params)
	return c.written(id, nil, err)
}
