package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Automatic actions (Kanboard's ActionModel and app/Action/*): a project's
// rules "when this event happens to a task, do that". A rule runs inside
// the transaction of the change whose event triggered it, through the same
// store methods a user's change goes through, so each of its changes
// writes its own events (and may trigger further rules, see runActions).

// Kanboard's events that only rules listen to: Hookboard writes no outbox
// event of these names. task.create_update is raised with task.create and
// task.update, subtask.create_update with subtask.create and
// subtask.update, and task.cronjob.daily once a day (RunDailyActions).
const (
	ActionEventTaskCreateUpdate    = "task.create_update"
	ActionEventSubtaskCreateUpdate = "subtask.create_update"
	ActionEventDaily               = "task.cronjob.daily"
)

// ActionEvent is an event a rule can listen to, with Kanboard's words.
type ActionEvent struct {
	Name        string
	Description string
}

// ActionEventsOf lists the action events whose names are in names (all of
// them when names is nil), in ActionEvents' order.
func ActionEventsOf(names []string) []ActionEvent {
	var out []ActionEvent
	for _, ev := range ActionEvents {
		if names == nil || slices.Contains(names, ev.Name) {
			out = append(out, ev)
		}
	}
	return out
}

// ActionEvents are the events of Kanboard's EventManager, sorted by
// description as getAvailableActionEvents lists them.
var ActionEvents = sortedByDescription([]ActionEvent{
	{EventTaskLinkCreateUpdate, "Task link creation or modification"},
	{EventTaskMoveColumn, "Move a task to another column"},
	{EventTaskUpdate, "Task modification"},
	{EventTaskCreate, "Task creation"},
	{EventTaskOpen, "Reopen a task"},
	{EventTaskClose, "Closing a task"},
	{ActionEventTaskCreateUpdate, "Task creation or modification"},
	{EventTaskAssigneeChange, "Task assignee change"},
	{ActionEventDaily, "Daily background job for tasks"},
	{EventTaskMoveSwimlane, "Move a task to another swimlane"},
	{ActionEventSubtaskCreateUpdate, "Subtask creation or modification"},
})

func sortedByDescription(evs []ActionEvent) []ActionEvent {
	slices.SortStableFunc(evs, func(a, b ActionEvent) int { return strings.Compare(a.Description, b.Description) })
	return evs
}

// actionTriggers maps an outbox event to the rule events it raises, in
// Kanboard's order (task.create_update before task.create).
var actionTriggers = map[string][]string{
	EventTaskCreate:           {ActionEventTaskCreateUpdate, EventTaskCreate},
	EventTaskUpdate:           {ActionEventTaskCreateUpdate, EventTaskUpdate},
	EventTaskClose:            {EventTaskClose},
	EventTaskOpen:             {EventTaskOpen},
	EventTaskMoveColumn:       {EventTaskMoveColumn},
	EventTaskMoveSwimlane:     {EventTaskMoveSwimlane},
	EventTaskAssigneeChange:   {EventTaskAssigneeChange},
	EventSubtaskCreate:        {ActionEventSubtaskCreateUpdate},
	EventSubtaskUpdate:        {ActionEventSubtaskCreateUpdate},
	EventTaskLinkCreateUpdate: {EventTaskLinkCreateUpdate},
}

// ActionParamSpec is a parameter an action takes, with Kanboard's label.
type ActionParamSpec struct {
	Name  string
	Label string
}

// ActionKind is a built-in automatic action.
type ActionKind struct {
	// Name is Kanboard's class name, e.g. \Kanboard\Action\TaskCloseColumn.
	Name        string
	Description string
	Events      []string
	Params      []ActionParamSpec
	// when is the action's condition on the task it would act on; do acts.
	when func(x *actionExec) bool
	do   func(x *actionExec) ([]string, error)
}

// ActionKinds are the built-in actions, sorted by description as
// getAvailableActions lists them.
func ActionKinds() []ActionKind { return actionKinds }

// ActionKindByName finds a built-in action by Kanboard's class name.
func ActionKindByName(name string) (ActionKind, bool) {
	i := slices.IndexFunc(actionKinds, func(k ActionKind) bool { return k.Name == name })
	if i < 0 {
		return ActionKind{}, false
	}
	return actionKinds[i], true
}

// ActionParam is one parameter of a rule.
type ActionParam struct {
	Name  string
	Value string
}

// Action is a rule of a project (Kanboard's actions row with its params,
// in the order they were given).
type Action struct {
	ID         int64
	ProjectID  int64
	EventName  string
	ActionName string
	Params     []ActionParam
}

// Param is the value of the rule's parameter name ("" when it has none).
func (a Action) Param(name string) string {
	for _, p := range a.Params {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// paramID reads a numeric parameter as PHP's == compares it with a number.
func (a Action) paramID(name string) int64 {
	v, _ := strconv.ParseInt(strings.TrimSpace(a.Param(name)), 10, 64)
	return v
}

// Actions lists a project's rules, oldest first.
func (s *Store) Actions(ctx context.Context, projectID int64) ([]Action, error) {
	all, err := loadActions(ctx, s.reader, `a.project_id = ?`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: list actions: %w", err)
	}
	return all, nil
}

// ActionByID reads one rule.
func (s *Store) ActionByID(ctx context.Context, id int64) (Action, error) {
	all, err := loadActions(ctx, s.reader, `a.id = ?`, id)
	if err != nil {
		return Action{}, fmt.Errorf("store: action %d: %w", id, err)
	}
	if len(all) == 0 {
		return Action{}, fmt.Errorf("store: action %d: %w", id, ErrNotFound)
	}
	return all[0], nil
}

// loadActions reads the rules that where (a condition on actions a) picks,
// with their params.
func loadActions(ctx context.Context, db q, where string, args ...any) ([]Action, error) {
	type row struct {
		Action
		param ActionParam
		has   bool
	}
	rows, err := listRows(ctx, db, nil, func(r interface{ Scan(...any) error }) (row, error) {
		var x row
		var name, value sql.NullString
		err := r.Scan(&x.ID, &x.ProjectID, &x.EventName, &x.ActionName, &name, &value)
		x.param, x.has = ActionParam{name.String, value.String}, name.Valid
		return x, err
	}, `SELECT a.id, a.project_id, a.event_name, a.action_name, p.name, p.value
		FROM actions a LEFT JOIN action_has_params p ON p.action_id = a.id
		WHERE `+where+`
		ORDER BY a.id, p.id`, args...)
	if err != nil {
		return nil, err
	}
	out := []Action{}
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].ID != r.ID {
			out = append(out, r.Action)
		}
		if r.has {
			last := &out[len(out)-1]
			last.Params = append(last.Params, r.param)
		}
	}
	return out, nil
}

// CreateAction adds a rule to a project: actionName must be a built-in
// action, eventName one of its events, and params exactly its parameters,
// each naming something that exists (a column, swimlane or category of
// the project, a user, a color, another project, a link type) or a whole
// number. It returns the rule's id.
func (s *Store) CreateAction(ctx context.Context, projectID int64, eventName, actionName string, params []ActionParam) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := checkAction(ctx, tx, projectID, eventName, actionName, params); err != nil {
			return err
		}
		var err error
		if id, err = insert(ctx, tx, `INSERT INTO actions (project_id, event_name, action_name) VALUES (?, ?, ?)`,
			projectID, eventName, actionName); err != nil {
			return err
		}
		return insertActionParams(ctx, tx, id, params)
	})
	if err != nil {
		return 0, fmt.Errorf("store: create action: %w", err)
	}
	return id, nil
}

// insertActionParams writes a rule's params in their order, each value
// trimmed as checkAction checked it.
func insertActionParams(ctx context.Context, tx *sql.Tx, actionID int64, params []ActionParam) error {
	for _, p := range params {
		if _, err := tx.ExecContext(ctx, `INSERT INTO action_has_params (action_id, name, value) VALUES (?, ?, ?)`,
			actionID, p.Name, strings.TrimSpace(p.Value)); err != nil {
			return err
		}
	}
	return nil
}

// checkAction is CreateAction's validation.
func checkAction(ctx context.Context, tx *sql.Tx, projectID int64, eventName, actionName string, params []ActionParam) error {
	if err := projectExists(ctx, tx, projectID); err != nil {
		return err
	}
	kind, ok := ActionKindByName(actionName)
	if !ok {
		return invalid("unknown action %q", actionName)
	}
	if !slices.Contains(kind.Events, eventName) {
		return invalid("action %s does not run on event %q", actionName, eventName)
	}
	given := map[string]bool{}
	for _, p := range params {
		if given[p.Name] {
			return invalid("parameter %q is given twice", p.Name)
		}
		given[p.Name] = true
		if !slices.ContainsFunc(kind.Params, func(sp ActionParamSpec) bool { return sp.Name == p.Name }) {
			return invalid("action %s takes no parameter %q", actionName, p.Name)
		}
		if err := checkActionParam(ctx, tx, projectID, p.Name, strings.TrimSpace(p.Value)); err != nil {
			return err
		}
	}
	for _, sp := range kind.Params {
		if !given[sp.Name] {
			return invalid("action %s needs the parameter %q", actionName, sp.Name)
		}
	}
	return nil
}

// checkActionParam checks that a parameter names something that exists.
func checkActionParam(ctx context.Context, tx *sql.Tx, projectID int64, name, value string) error {
	if name == "subtask" {
		return ValidateTitle(value)
	}
	if name == "color_id" {
		if _, ok := ColorByID(value); !ok {
			return invalid("unknown color_id %q", value)
		}
		return nil
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return invalid("parameter %s must be a whole number, not %q", name, value)
	}
	exists := func(query string, args ...any) error {
		var k int
		if err := tx.QueryRowContext(ctx, query, args...).Scan(&k); err != nil {
			return err
		}
		if k == 0 {
			return invalid("parameter %s: %d does not exist here", name, n)
		}
		return nil
	}
	switch name {
	case "column_id", "src_column_id", "dest_column_id":
		return exists(`SELECT count(*) FROM columns WHERE id = ? AND project_id = ?`, n, projectID)
	case "swimlane_id", "dest_swimlane_id":
		return exists(`SELECT count(*) FROM swimlanes WHERE id = ? AND project_id = ?`, n, projectID)
	case "category_id":
		return exists(`SELECT count(*) FROM categories WHERE id = ? AND project_id = ?`, n, projectID)
	case "user_id":
		return exists(`SELECT count(*) FROM users WHERE id = ?`, n)
	case "link_id":
		return exists(`SELECT count(*) FROM links WHERE id = ?`, n)
	case "project_id":
		if n == projectID {
			return invalid("parameter project_id must be another project")
		}
		return exists(`SELECT count(*) FROM projects WHERE id = ?`, n)
	case "duration":
		if n < 0 {
			return invalid("parameter duration must not be negative")
		}
	}
	return nil
}

// RemoveAction removes a rule; an unknown id is ErrNotFound.
func (s *Store) RemoveAction(ctx context.Context, id int64) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := oneRow(tx.ExecContext(ctx, `DELETE FROM actions WHERE id = ?`, id)); err != nil {
			return fmt.Errorf("action %d: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: remove action: %w", err)
	}
	return nil
}

// maxActionDepth bounds a chain of rules triggering rules: a change made by
// a rule that a rule's change triggered, and so on.
const maxActionDepth = 8

// actionChain is what the rules triggered by one change share: its
// transaction, and which rule already acted on which task, so that a rule
// whose change triggers it again runs once.
type actionChain struct {
	tx   *sql.Tx
	done map[[2]int64]bool // {rule id, task id}
}

// actionScope is carried by the context of the changes a rule makes: they
// join the chain's transaction (inTx) and its guard (runActions).
type actionScope struct {
	chain *actionChain
	depth int
}

type actionScopeKey struct{}

func scopeOf(ctx context.Context) *actionScope {
	sc, _ := ctx.Value(actionScopeKey{}).(*actionScope)
	return sc
}

// actionExec is one rule about to act on one task.
type actionExec struct {
	ctx   context.Context // carries the scope: the rule's changes join the transaction
	tx    *sql.Tx
	s     *Store
	actor Actor
	rule  Action
	task  TaskSnapshot // as the event shows it
	c     EventContent // the triggering event's content (zero for the daily job)
	now   int64
}

// runActions runs the rules of projectID that listen to the outbox event
// name just written with content c, and returns the events their changes
// wrote, in order. Called by emitAt inside the change's transaction.
func (s *Store) runActions(ctx context.Context, tx *sql.Tx, v int64, actor Actor, name string, projectID int64, c EventContent) ([]string, error) {
	triggers := actionTriggers[name]
	if len(triggers) == 0 || c.Task.ID == 0 {
		return nil, nil
	}
	rules, err := s.projectActions(ctx, tx, v, projectID)
	if err != nil || len(rules) == 0 {
		return nil, err
	}
	sc := scopeOf(ctx)
	if sc == nil {
		sc = &actionScope{chain: &actionChain{tx: tx, done: map[[2]int64]bool{}}}
	}
	if sc.depth >= maxActionDepth {
		return nil, nil
	}
	var events []string
	now := s.now().Unix()
	for _, trigger := range triggers {
		for _, rule := range rules {
			if rule.EventName != trigger {
				continue
			}
			x := &actionExec{tx: tx, s: s, actor: actor, rule: rule, task: c.Task, c: c, now: now}
			evs, err := s.runAction(ctx, sc, x)
			if err != nil {
				return nil, err
			}
			events = append(events, evs...)
		}
	}
	return events, nil
}

// runAction runs one rule on one task if its condition holds and it has
// not acted on that task in this chain yet. A rule whose change is refused
// (an owner who may not be assigned, a task gone) is undone and skipped,
// as Kanboard's action returning false: the triggering change stands.
func (s *Store) runAction(ctx context.Context, sc *actionScope, x *actionExec) ([]string, error) {
	kind, ok := ActionKindByName(x.rule.ActionName)
	if !ok || !kind.when(x) {
		return nil, nil
	}
	key := [2]int64{x.rule.ID, x.task.ID}
	if sc.chain.done[key] {
		return nil, nil
	}
	sc.chain.done[key] = true
	x.ctx = context.WithValue(ctx, actionScopeKey{}, &actionScope{chain: sc.chain, depth: sc.depth + 1})
	if _, err := x.tx.ExecContext(ctx, "SAVEPOINT automatic_action"); err != nil {
		return nil, err
	}
	events, err := kind.do(x)
	if err != nil {
		if _, rerr := x.tx.ExecContext(ctx, "ROLLBACK TO automatic_action"); rerr != nil {
			return nil, rerr
		}
		s.config.forget()
		if !declined(err) {
			return nil, err
		}
		events = nil
	}
	if _, err := x.tx.ExecContext(ctx, "RELEASE automatic_action"); err != nil {
		return nil, err
	}
	return events, nil
}

// declined tells a change the store declined (bad input, a missing row)
// from a failure of the database.
func declined(err error) bool {
	return errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.Is(err, ErrUnauthorized)
}

// projectActions lists a project's rules from the configuration cache when
// it holds v, the config_version tx reads.
func (s *Store) projectActions(ctx context.Context, tx *sql.Tx, v int64, projectID int64) ([]Action, error) {
	s.config.mu.Lock()
	byProject, ok := s.config.actions, s.config.actKnown && s.config.version == v
	s.config.mu.Unlock()
	if !ok {
		all, err := loadActions(ctx, tx, `1 = 1`)
		if err != nil {
			return nil, fmt.Errorf("read actions: %w", err)
		}
		byProject = map[int64][]Action{}
		for _, a := range all {
			byProject[a.ProjectID] = append(byProject[a.ProjectID], a)
		}
		s.config.mu.Lock()
		if s.config.at(v) {
			s.config.actions, s.config.actKnown = byProject, true
		}
		s.config.mu.Unlock()
	}
	return byProject[projectID], nil
}

// RunDailyActions raises Kanboard's task.cronjob.daily: every rule on it
// runs on each open task of its project, in one transaction, and the
// events of their changes are returned for delivery. It runs only when
// the last run is at least every ago (0: run now), so servers sharing the
// database, and restarts, run it once a day; ran says whether it did.
func (s *Store) RunDailyActions(ctx context.Context, every time.Duration) (events []string, ran bool, err error) {
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := s.now()
		var last int64
		err := tx.QueryRowContext(ctx, `SELECT last_run_at FROM action_daily_run WHERE id = 1`).Scan(&last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if every > 0 && now.Sub(time.Unix(last, 0)) < every {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO action_daily_run (id, last_run_at) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET last_run_at = excluded.last_run_at`, now.Unix()); err != nil {
			return err
		}
		ran = true
		daily, err := loadActions(ctx, tx, `a.event_name = ?`, ActionEventDaily)
		if err != nil {
			return err
		}
		sc := &actionScope{chain: &actionChain{tx: tx, done: map[[2]int64]bool{}}}
		tasks := map[int64][]TaskSnapshot{}
		for _, rule := range daily {
			open, ok := tasks[rule.ProjectID]
			if !ok {
				open, err = listRows(ctx, tx, nil, scanTaskSnapshot, s.taskSnapshotQuery()+`
					WHERE t.project_id = ? AND t.is_active = 1 ORDER BY t.id`, rule.ProjectID)
				if err != nil {
					return err
				}
				tasks[rule.ProjectID] = open
			}
			for _, t := range open {
				x := &actionExec{tx: tx, s: s, rule: rule, task: t, now: now.Unix()}
				evs, err := s.runAction(ctx, sc, x)
				if err != nil {
					return err
				}
				events = append(events, evs...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: daily actions: %w", err)
	}
	return events, ran, nil
}

// The changes actions make, through the methods users' changes use.

func (x *actionExec) update(u TaskUpdate) ([]string, error) {
	return x.s.UpdateTask(x.ctx, x.actor, x.task.ID, u)
}

func (x *actionExec) setColor() ([]string, error) {
	c := x.rule.Param("color_id")
	return x.update(TaskUpdate{ColorID: &c})
}

func (x *actionExec) setCategory() ([]string, error) {
	c := x.rule.paramID("category_id")
	return x.update(TaskUpdate{CategoryID: &c})
}

func (x *actionExec) setOwner(id int64) ([]string, error) {
	return x.update(TaskUpdate{OwnerID: &id})
}

func (x *actionExec) close() ([]string, error) { return x.s.CloseTask(x.ctx, x.actor, x.task.ID) }

// move moves the task within its project, as it is now (an earlier rule
// may have moved it already); zero column or swimlane keep its own.
func (x *actionExec) move(column, swimlane, position int64) ([]string, error) {
	return x.s.MoveTask(x.ctx, x.actor, x.task.ID, TaskMove{ColumnID: column, SwimlaneID: swimlane, Position: max(position, 1)})
}

// inColumn, inSwimlane: the task is in the rule's column (swimlane).
func (x *actionExec) inColumn(param string) bool { return x.task.ColumnID == x.rule.paramID(param) }
func (x *actionExec) inSwimlane(param string) bool {
	return x.task.SwimlaneID == x.rule.paramID(param)
}

// srcColumn is the column a task.move.column event moved the task from.
func (x *actionExec) srcColumn() int64 {
	if x.c.Move == nil {
		return 0
	}
	return x.c.Move.ColumnID
}

// olderThan: ts is more than the rule's duration (days) before now.
func (x *actionExec) olderThan(ts int64) bool {
	return x.now-ts > x.rule.paramID("duration")*86400
}

// after is a due date duration days from now, at the current time of day
// (PHP's strtotime('+N days')).
func (x *actionExec) after() int64 { return x.now + x.rule.paramID("duration")*86400 }

var (
	pColumn       = ActionParamSpec{"column_id", "Column"}
	pColor        = ActionParamSpec{"color_id", "Color"}
	pCategory     = ActionParamSpec{"category_id", "Category"}
	pSwimlane     = ActionParamSpec{"swimlane_id", "Swimlane"}
	pAssignee     = ActionParamSpec{"user_id", "Assignee"}
	pDuration     = ActionParamSpec{"duration", "Duration in days"}
	pSrcColumn    = ActionParamSpec{"src_column_id", "Source column"}
	pDestColumn   = ActionParamSpec{"dest_column_id", "Destination column"}
	pDestSwimlane = ActionParamSpec{"dest_swimlane_id", "Destination swimlane"}
	pProject      = ActionParamSpec{"project_id", "Project"}
	pLink         = ActionParamSpec{"link_id", "Link type"}
	pPriority     = ActionParamSpec{"priority", "Priority"}
)

func always(*actionExec) bool { return true }

// kb names a Kanboard action class.
func kb(class string) string { return `\Kanboard\Action\` + class }

// actionKinds are Kanboard's built-in actions but the two that send mail
// (TaskEmail, TaskEmailNoActivity) and the six that no event triggers
// (Kanboard's hooks for external providers, which getAvailableActions
// leaves out too). Conditions and changes are Kanboard's (app/Action).
// Set in init: an action's changes run rules, which read this list.
var actionKinds []ActionKind

func init() { actionKinds = builtinActions() }

func builtinActions() []ActionKind {
	byColumn := func(x *actionExec) bool { return x.inColumn("column_id") }
	bySwimlane := func(x *actionExec) bool { return x.inSwimlane("swimlane_id") }
	// The moves of the column and swimlane actions: to the rule's column,
	// where the task stood or at the top, or to its swimlane.
	toDestColumn := func(x *actionExec) ([]string, error) {
		return x.move(x.rule.paramID("dest_column_id"), x.task.SwimlaneID, x.task.Position)
	}
	toDestColumnTop := func(x *actionExec) ([]string, error) {
		return x.move(x.rule.paramID("dest_column_id"), x.task.SwimlaneID, 1)
	}
	toDestSwimlane := func(x *actionExec) ([]string, error) {
		return x.move(x.task.ColumnID, x.rule.paramID("dest_swimlane_id"), x.task.Position)
	}
	kinds := []ActionKind{
		{Name: kb("CommentCreationMoveTaskColumn"), Description: "Add a comment log when moving the task between columns",
			Events: []string{EventTaskMoveColumn}, Params: []ActionParamSpec{pColumn},
			// Kanboard writes it as the logged-in user: not for integrations.
			when: func(x *actionExec) bool { return byColumn(x) && x.actor.UserID != 0 },
			do: func(x *actionExec) ([]string, error) {
				// The event's task is as the move left it, its column's title included.
				_, evs, err := x.s.CreateComment(x.ctx, x.actor, x.task.ID, x.actor.UserID, "Moved to column "+deref(x.task.ColumnTitle))
				return evs, err
			}},
		{Name: kb("StopSubtaskTimerMoveTaskColumn"), Description: "Stop the timer of all subtasks when moving a task to another column",
			Events: []string{EventTaskMoveColumn}, Params: []ActionParamSpec{pColumn}, when: byColumn,
			do: func(x *actionExec) ([]string, error) {
				type st struct{ id, user int64 }
				subs, err := listRows(x.ctx, x.tx, nil, func(r interface{ Scan(...any) error }) (st, error) {
					var v st
					return v, r.Scan(&v.id, &v.user)
				}, `SELECT id, COALESCE(user_id, 0) FROM subtasks WHERE task_id = ? ORDER BY position, id`, x.task.ID)
				if err != nil {
					return nil, err
				}
				var events []string
				done := SubtaskDone
				for _, sub := range subs {
					evs, err := x.s.UpdateSubtask(x.ctx, x.actor, sub.id, x.task.ID, SubtaskUpdate{Status: &done})
					if err != nil {
						return nil, err
					}
					events = append(events, evs...)
					if sub.user != 0 {
						if evs, err = x.s.StopSubtaskTimer(x.ctx, x.actor, sub.id, sub.user); err != nil {
							return nil, err
						}
						events = append(events, evs...)
					}
				}
				return events, nil
			}},
		{Name: kb("SubtaskTimerMoveTaskColumn"), Description: "Add a subtask and activate the timer when moving a task to another column",
			Events: []string{EventTaskMoveColumn}, Params: []ActionParamSpec{pColumn, {"subtask", "Subtask Title"}}, when: byColumn,
			do: func(x *actionExec) ([]string, error) {
				id, events, err := x.s.CreateSubtask(x.ctx, x.actor, NewSubtask{TaskID: x.task.ID, Title: x.rule.Param("subtask"),
					UserID: x.task.CreatorID, Status: SubtaskInProgress})
				if err != nil || x.task.CreatorID == 0 {
					return events, err
				}
				return events, x.s.StartSubtaskTimer(x.ctx, id, x.task.CreatorID)
			}},
		{Name: kb("TaskAssignCategoryColor"), Description: "Assign automatically a category based on a color",
			Events: []string{ActionEventTaskCreateUpdate}, Params: []ActionParamSpec{pColor, pCategory},
			when: func(x *actionExec) bool { return x.task.ColorID == x.rule.Param("color_id") },
			do:   (*actionExec).setCategory},
		{Name: kb("TaskAssignCategoryLink"), Description: "Assign automatically a category based on a link",
			Events: []string{EventTaskLinkCreateUpdate}, Params: []ActionParamSpec{pCategory, pLink},
			when: func(x *actionExec) bool {
				return x.c.TaskLink != nil && x.c.TaskLink.LinkID == x.rule.paramID("link_id") && x.task.CategoryID == 0
			},
			do: (*actionExec).setCategory},
		{Name: kb("TaskAssignCategorySwimlaneChange"), Description: "Assign a category when the task is moved to a specific swimlane",
			Events: []string{EventTaskCreate, EventTaskMoveSwimlane}, Params: []ActionParamSpec{pSwimlane, pCategory},
			when: bySwimlane, do: (*actionExec).setCategory},
		{Name: kb("TaskAssignColorCategory"), Description: "Assign automatically a color based on a category",
			Events: []string{ActionEventTaskCreateUpdate}, Params: []ActionParamSpec{pColor, pCategory},
			when: func(x *actionExec) bool { return x.task.CategoryID == x.rule.paramID("category_id") },
			do:   (*actionExec).setColor},
		{Name: kb("TaskAssignColorColumn"), Description: "Assign a color when the task is moved to a specific column",
			Events: []string{EventTaskCreate, EventTaskMoveColumn}, Params: []ActionParamSpec{pColumn, pColor},
			when: byColumn, do: (*actionExec).setColor},
		{Name: kb("TaskAssignColorLink"), Description: "Change task color when using a specific task link",
			Events: []string{EventTaskLinkCreateUpdate}, Params: []ActionParamSpec{pColor, pLink},
			when: func(x *actionExec) bool {
				return x.c.TaskLink != nil && x.c.TaskLink.LinkID == x.rule.paramID("link_id")
			},
			do: (*actionExec).setColor},
		{Name: kb("TaskAssignColorOnDueDate"), Description: "Assign automatically a color when due date is expired",
			Events: []string{ActionEventDaily}, Params: []ActionParamSpec{pColor},
			when: func(x *actionExec) bool {
				return x.task.DateDue > 0 && x.task.DateDue <= x.now && x.task.ColorID != x.rule.Param("color_id")
			},
			do: (*actionExec).setColor},
		{Name: kb("TaskAssignColorOnStartDate"), Description: "Assign automatically a color when preset start date is reached",
			Events: []string{ActionEventDaily}, Params: []ActionParamSpec{pColor},
			when: func(x *actionExec) bool {
				return x.task.DateStarted > 0 && x.task.DateStarted <= x.now && x.task.ColorID != x.rule.Param("color_id")
			},
			do: (*actionExec).setColor},
		{Name: kb("TaskAssignColorPriority"), Description: "Assign automatically a color based on a priority",
			Events: []string{ActionEventTaskCreateUpdate}, Params: []ActionParamSpec{pColor, pPriority},
			when: func(x *actionExec) bool { return x.task.Priority == x.rule.paramID("priority") },
			do:   (*actionExec).setColor},
		{Name: kb("TaskAssignColorSwimlane"), Description: "Assign a color when the task is moved to a specific swimlane",
			Events: []string{EventTaskCreate, EventTaskMoveSwimlane}, Params: []ActionParamSpec{pSwimlane, pColor},
			when: bySwimlane,
			do:   (*actionExec).setColor},
		{Name: kb("TaskAssignColorUser"), Description: "Assign a color to a specific user",
			Events: []string{EventTaskCreate, EventTaskAssigneeChange}, Params: []ActionParamSpec{pColor, pAssignee},
			when: func(x *actionExec) bool { return x.task.OwnerID == x.rule.paramID("user_id") },
			do:   (*actionExec).setColor},
		{Name: kb("TaskAssignCreator"), Description: "Assign the task to its creator",
			Events: []string{EventTaskMoveColumn}, Params: []ActionParamSpec{pColumn}, when: byColumn,
			do: func(x *actionExec) ([]string, error) { return x.setOwner(x.task.CreatorID) }},
		{Name: kb("TaskAssignCurrentUser"), Description: "Assign the task to the person who does the action",
			Events: []string{EventTaskCreate}, Params: []ActionParamSpec{},
			when: func(x *actionExec) bool { return x.actor.UserID != 0 },
			do:   func(x *actionExec) ([]string, error) { return x.setOwner(x.actor.UserID) }},
		{Name: kb("TaskAssignCurrentUserColumn"), Description: "Assign the task to the person who does the action when the column is changed",
			Events: []string{EventTaskMoveColumn}, Params: []ActionParamSpec{pColumn},
			when: func(x *actionExec) bool { return byColumn(x) && x.actor.UserID != 0 },
			do:   func(x *actionExec) ([]string, error) { return x.setOwner(x.actor.UserID) }},
		{Name: kb("TaskAssignCurrentUserColumnIfNoUserAlreadySet"), Description: "Assign a task to the logged user on column change to specified column if no user is assigned",
			Events: []string{EventTaskMoveColumn}, Params: []ActionParamSpec{pColumn},
			when: func(x *actionExec) bool { return byColumn(x) && x.actor.UserID != 0 && x.task.OwnerID == 0 },
			do:   func(x *actionExec) ([]string, error) { return x.setOwner(x.actor.UserID) }},
		{Name: kb("TaskAssignDueDateOnCreation"), Description: "Automatically set the due date on task creation",
			Events: []string{EventTaskCreate}, Params: []ActionParamSpec{pDuration}, when: always,
			do: func(x *actionExec) ([]string, error) { d := x.after(); return x.update(TaskUpdate{DateDue: &d}) }},
		{Name: kb("TaskAssignDueDateOnMoveColumn"), Description: "Automatically set the due date when the task is moved away from a specific column",
			Events: []string{EventTaskMoveColumn}, Params: []ActionParamSpec{pDuration, pColumn},
			when: func(x *actionExec) bool { return x.srcColumn() != 0 && x.srcColumn() == x.rule.paramID("column_id") },
			do:   func(x *actionExec) ([]string, error) { d := x.after(); return x.update(TaskUpdate{DateDue: &d}) }},
		{Name: kb("TaskAssignPrioritySwimlane"), Description: "Assign a priority when the task is moved to a specific swimlane",
			Events: []string{EventTaskCreate, EventTaskMoveSwimlane}, Params: []ActionParamSpec{pSwimlane, pPriority},
			when: bySwimlane,
			do: func(x *actionExec) ([]string, error) {
				p := x.rule.paramID("priority")
				return x.update(TaskUpdate{Priority: &p})
			}},
		{Name: kb("TaskAssignSpecificUser"), Description: "Assign the task to a specific user",
			Events: []string{ActionEventTaskCreateUpdate, EventTaskMoveColumn}, Params: []ActionParamSpec{pColumn, pAssignee},
			when: byColumn, do: func(x *actionExec) ([]string, error) { return x.setOwner(x.rule.paramID("user_id")) }},
		{Name: kb("TaskAssignToUserOnCreationInColumn"), Description: "Assign the task to its creator for specific columns if no assignee is set manually",
			Events: []string{EventTaskCreate}, Params: []ActionParamSpec{pColumn},
			when: func(x *actionExec) bool { return byColumn(x) && x.task.OwnerID == 0 && x.task.CreatorID != 0 },
			do:   func(x *actionExec) ([]string, error) { return x.setOwner(x.task.CreatorID) }},
		{Name: kb("TaskAssignUserSwimlaneChange"), Description: "Assign the task to a specific user when the task is moved to a specific swimlane",
			Events: []string{EventTaskCreate, EventTaskMoveSwimlane}, Params: []ActionParamSpec{pSwimlane, pAssignee},
			when: bySwimlane,
			do:   func(x *actionExec) ([]string, error) { return x.setOwner(x.rule.paramID("user_id")) }},
		// Kanboard's runs on task.move.column only; Hookboard also on
		// task.create, so a task created straight into the column (by the
		// incoming URL, say) closes as one moved there does.
		{Name: kb("TaskCloseColumn"), Description: "Close a task in a specific column",
			Events: []string{EventTaskMoveColumn, EventTaskCreate}, Params: []ActionParamSpec{pColumn},
			when: func(x *actionExec) bool { return byColumn(x) && x.task.IsActive == 1 }, do: (*actionExec).close},
		{Name: kb("TaskCloseNoActivity"), Description: "Close a task when there is no activity",
			Events: []string{ActionEventDaily}, Params: []ActionParamSpec{pDuration},
			when: func(x *actionExec) bool { return x.olderThan(x.task.DateModification) }, do: (*actionExec).close},
		{Name: kb("TaskCloseNoActivityColumn"), Description: "Close a task when there is no activity in a specific column",
			Events: []string{ActionEventDaily}, Params: []ActionParamSpec{pDuration, pColumn},
			when: func(x *actionExec) bool { return byColumn(x) && x.olderThan(x.task.DateModification) }, do: (*actionExec).close},
		{Name: kb("TaskCloseNotMovedColumn"), Description: "Close a task in a specific column when not moved during a given period",
			Events: []string{ActionEventDaily}, Params: []ActionParamSpec{pDuration, pColumn},
			when: func(x *actionExec) bool { return byColumn(x) && x.olderThan(x.task.DateMoved) }, do: (*actionExec).close},
		{Name: kb("TaskDuplicateAnotherProject"), Description: "Duplicate the task to another project",
			Events: []string{EventTaskMoveColumn, EventTaskClose, EventTaskCreate}, Params: []ActionParamSpec{pColumn, pProject},
			when: func(x *actionExec) bool { return byColumn(x) && x.task.ProjectID != x.rule.paramID("project_id") },
			do: func(x *actionExec) ([]string, error) {
				_, evs, err := x.s.DuplicateTask(x.ctx, x.actor, x.task.ID, ProjectMove{ProjectID: x.rule.paramID("project_id")})
				return evs, err
			}},
		{Name: kb("TaskMoveAnotherProject"), Description: "Move the task to another project",
			Events: []string{EventTaskMoveColumn, EventTaskClose}, Params: []ActionParamSpec{pColumn, pProject},
			when: func(x *actionExec) bool { return byColumn(x) && x.task.ProjectID != x.rule.paramID("project_id") },
			do: func(x *actionExec) ([]string, error) {
				return x.s.MoveTaskToProject(x.ctx, x.actor, x.task.ID, ProjectMove{ProjectID: x.rule.paramID("project_id")})
			}},
		{Name: kb("TaskMoveColumnAssigned"), Description: "Move the task to another column when assigned to a user",
			Events: []string{EventTaskAssigneeChange, EventTaskUpdate}, Params: []ActionParamSpec{pSrcColumn, pDestColumn},
			when: func(x *actionExec) bool { return x.inColumn("src_column_id") && x.task.OwnerID > 0 },
			do:   toDestColumn},
		{Name: kb("TaskMoveColumnCategoryChange"), Description: "Move the task to another column when the category is changed",
			Events: []string{EventTaskUpdate, EventTaskCreate, ActionEventTaskCreateUpdate}, Params: []ActionParamSpec{pDestColumn, pCategory},
			when: func(x *actionExec) bool {
				return !x.inColumn("dest_column_id") && x.task.CategoryID == x.rule.paramID("category_id")
			},
			do: toDestColumn},
		{Name: kb("TaskMoveColumnClosed"), Description: "Move the task to another column when closed",
			Events: []string{EventTaskClose}, Params: []ActionParamSpec{pDestColumn},
			when: func(x *actionExec) bool { return !x.inColumn("dest_column_id") && x.task.IsActive == 0 },
			do:   toDestColumnTop},
		{Name: kb("TaskMoveColumnNotMovedPeriod"), Description: "Move the task to another column when not moved during a given period",
			Events: []string{ActionEventDaily}, Params: []ActionParamSpec{pDuration, pSrcColumn, pDestColumn},
			when: func(x *actionExec) bool { return x.inColumn("src_column_id") && x.olderThan(x.task.DateMoved) },
			do:   toDestColumnTop},
		{Name: kb("TaskMoveColumnOnDueDate"), Description: "Move the task to another column when the due date is less than a certain number of days",
			Events: []string{ActionEventDaily}, Params: []ActionParamSpec{pDuration, pSrcColumn, pDestColumn},
			when: func(x *actionExec) bool {
				return x.task.DateDue > 0 && x.task.DateDue-x.now < x.rule.paramID("duration")*86400 && x.inColumn("src_column_id")
			},
			do: toDestColumnTop},
		{Name: kb("TaskMoveColumnOnStartDate"), Description: "Move the task to another column once a predefined start date is reached",
			Events: []string{ActionEventDaily}, Params: []ActionParamSpec{pSrcColumn, pDestColumn},
			when: func(x *actionExec) bool {
				return x.task.DateStarted > 0 && x.task.DateStarted <= x.now && x.inColumn("src_column_id")
			},
			do: toDestColumnTop},
		{Name: kb("TaskMoveColumnUnAssigned"), Description: "Move the task to another column when assignee is cleared",
			Events: []string{EventTaskAssigneeChange, EventTaskUpdate}, Params: []ActionParamSpec{pSrcColumn, pDestColumn},
			when: func(x *actionExec) bool { return x.inColumn("src_column_id") && x.task.OwnerID == 0 },
			do:   toDestColumn},
		{Name: kb("TaskMoveSwimlaneAssigned"), Description: "Move the task to another swimlane when assigned to a user",
			Events: []string{ActionEventTaskCreateUpdate, EventTaskAssigneeChange, EventTaskUpdate}, Params: []ActionParamSpec{pAssignee, pDestSwimlane},
			when: func(x *actionExec) bool {
				return !x.inSwimlane("dest_swimlane_id") && x.task.OwnerID == x.rule.paramID("user_id")
			},
			do: toDestSwimlane},
		{Name: kb("TaskMoveSwimlaneCategoryChange"), Description: "Move the task to another swimlane when the category is changed",
			Events: []string{EventTaskUpdate}, Params: []ActionParamSpec{pDestSwimlane, pCategory},
			when: func(x *actionExec) bool {
				return !x.inSwimlane("dest_swimlane_id") && x.task.CategoryID == x.rule.paramID("category_id")
			},
			do: toDestSwimlane},
		{Name: kb("TaskUpdateStartDate"), Description: "Automatically update the start date",
			Events: []string{EventTaskMoveColumn}, Params: []ActionParamSpec{pColumn}, when: byColumn,
			do: func(x *actionExec) ([]string, error) { return x.update(TaskUpdate{DateStarted: &x.now}) }},
		{Name: kb("TaskUpdateStartDateOnMoveColumn"), Description: "Automatically update the start date when the task is moved away from a specific column",
			Events: []string{EventTaskMoveColumn}, Params: []ActionParamSpec{pColumn},
			when: func(x *actionExec) bool {
				return x.task.DateStarted == 0 && x.srcColumn() == x.rule.paramID("column_id")
			},
			do: func(x *actionExec) ([]string, error) { return x.update(TaskUpdate{DateStarted: &x.now}) }},
	}
	slices.SortStableFunc(kinds, func(a, b ActionKind) int {
		return cmp.Or(strings.Compare(a.Description, b.Description), strings.Compare(a.Name, b.Name))
	})
	return kinds
}
