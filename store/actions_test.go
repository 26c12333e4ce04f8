package store

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"
)

// actFix is a store with two projects, two members and a clock.
type actFix struct {
	s      *Store
	ctx    context.Context
	me     Actor
	bob    int64
	p, q   boardFixture
	urgent int64 // a second swimlane of p
	bug    int64 // categories of p
	feat   int64
	clock  time.Time
	t      *testing.T
}

func newActFix(t *testing.T) *actFix {
	t.Helper()
	f := &actFix{t: t, ctx: context.Background(), clock: time.Date(2030, 1, 15, 9, 30, 0, 0, time.UTC)}
	s, err := openTest(t, testDB(t), Options{Now: func() time.Time { return f.clock }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f.s = s
	// Users straight into the table: hashing their passwords would make
	// each case take seconds, and nobody logs in here.
	change(t, s, `INSERT INTO users (username, password_hash, created_at) VALUES ('me', 'x', 0), ('bob', 'x', 0)`)
	f.me, f.bob = Actor{UserID: 1, Username: "me"}, 2
	f.p, f.q = newBoard(t, s, "P"), newBoard(t, s, "Q")
	for _, p := range []int64{f.p.project, f.q.project} {
		for _, u := range []int64{f.me.UserID, f.bob} {
			if err := s.AddProjectMember(f.ctx, p, u, ProjectMember); err != nil {
				t.Fatal(err)
			}
		}
	}
	if f.urgent, _, err = s.AddSwimlane(f.ctx, f.me, f.p.project, "Urgent", ""); err != nil {
		t.Fatal(err)
	}
	if f.bug, _, err = s.AddCategory(f.ctx, f.me, f.p.project, "Bug", ""); err != nil {
		t.Fatal(err)
	}
	if f.feat, _, err = s.AddCategory(f.ctx, f.me, f.p.project, "Feature", ""); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *actFix) col(i int) int64 { return f.p.cols[i].ID } // 0 Backlog, 1 Ready, 2 Work in progress, 3 Done

func (f *actFix) rule(t *testing.T, action, event string, kv ...any) int64 {
	t.Helper()
	var params []ActionParam
	for i := 0; i < len(kv); i += 2 {
		v := kv[i+1]
		s, ok := v.(string)
		if !ok {
			s = strconv.FormatInt(v.(int64), 10)
		}
		params = append(params, ActionParam{kv[i].(string), s})
	}
	id, err := f.s.CreateAction(f.ctx, f.p.project, event, kb(action), params)
	if err != nil {
		t.Fatalf("create %s on %s: %v", action, event, err)
	}
	return id
}

func (f *actFix) task(t *testing.T, nt NewTask) (int64, []string) {
	t.Helper()
	if nt.ProjectID == 0 {
		nt.ProjectID = f.p.project
	}
	if nt.Title == "" {
		nt.Title = "T"
	}
	id, evs, err := f.s.CreateTask(f.ctx, f.me, nt)
	if err != nil {
		t.Fatal(err)
	}
	return id, evs
}

func (f *actFix) get(t *testing.T, id int64) TaskSnapshot {
	t.Helper()
	tk, err := f.s.TaskByID(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func (f *actFix) names(t *testing.T, ids []string) []string {
	t.Helper()
	names, _, _ := eventsAbout(t, f.s, ids)
	return names
}

// ok returns a change's events, failing the test on an error.
func (f *actFix) ok(evs []string, err error) []string {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
	return evs
}

// TestBuiltinActions runs every built-in action once through the change
// that triggers it and checks the task and the events, in order: the
// triggering change's, then the action's.
func TestBuiltinActions(t *testing.T) {
	const day = 86400
	type tc struct {
		action, event string
		params        func(f *actFix) []any
		// trigger makes the change (its returned events are checked).
		trigger func(t *testing.T, f *actFix) (int64, []string)
		want    []string
		check   func(t *testing.T, f *actFix, tk TaskSnapshot)
	}
	moveTo := func(col int) func(t *testing.T, f *actFix) (int64, []string) {
		return func(t *testing.T, f *actFix) (int64, []string) {
			id, _ := f.task(t, NewTask{})
			return id, f.ok(f.s.MoveTask(f.ctx, f.me, id, TaskMove{ColumnID: f.col(col), Position: 1}))
		}
	}
	toUrgent := func(t *testing.T, f *actFix) (int64, []string) {
		id, _ := f.task(t, NewTask{})
		return id, f.ok(f.s.MoveTask(f.ctx, f.me, id, TaskMove{SwimlaneID: f.urgent, Position: 1}))
	}
	assignBob := func(t *testing.T, f *actFix) (int64, []string) {
		id, _ := f.task(t, NewTask{})
		return id, f.ok(f.s.UpdateTask(f.ctx, f.me, id, TaskUpdate{OwnerID: &f.bob}))
	}
	// daily creates a task as nt says, lets three days pass and runs the daily job.
	daily := func(nt func(f *actFix) NewTask) func(t *testing.T, f *actFix) (int64, []string) {
		return func(t *testing.T, f *actFix) (int64, []string) {
			id, _ := f.task(t, nt(f))
			f.clock = f.clock.Add(3 * 24 * time.Hour)
			evs, ran, err := f.s.RunDailyActions(f.ctx, 0)
			if err != nil || !ran {
				t.Fatalf("daily: ran %v, %v", ran, err)
			}
			return id, evs
		}
	}
	plain := func(*actFix) NewTask { return NewTask{} }
	colorIs := func(c string) func(t *testing.T, f *actFix, tk TaskSnapshot) {
		return func(t *testing.T, f *actFix, tk TaskSnapshot) {
			if tk.ColorID != c {
				t.Errorf("color %q, want %q", tk.ColorID, c)
			}
		}
	}
	ownerIs := func(who func(f *actFix) int64) func(t *testing.T, f *actFix, tk TaskSnapshot) {
		return func(t *testing.T, f *actFix, tk TaskSnapshot) {
			if tk.OwnerID != who(f) {
				t.Errorf("owner %d, want %d", tk.OwnerID, who(f))
			}
		}
	}
	me := func(f *actFix) int64 { return f.me.UserID }
	bob := func(f *actFix) int64 { return f.bob }
	categoryBug := func(t *testing.T, f *actFix, tk TaskSnapshot) {
		if tk.CategoryID != f.bug {
			t.Errorf("category %d, want %d", tk.CategoryID, f.bug)
		}
	}
	inColumn := func(i int) func(t *testing.T, f *actFix, tk TaskSnapshot) {
		return func(t *testing.T, f *actFix, tk TaskSnapshot) {
			if tk.ColumnID != f.col(i) {
				t.Errorf("column %d, want %d", tk.ColumnID, f.col(i))
			}
		}
	}
	inUrgent := func(t *testing.T, f *actFix, tk TaskSnapshot) {
		if tk.SwimlaneID != f.urgent {
			t.Errorf("swimlane %d, want %d", tk.SwimlaneID, f.urgent)
		}
	}
	closed := func(t *testing.T, f *actFix, tk TaskSnapshot) {
		if tk.IsActive != 0 {
			t.Error("the task is open, want closed")
		}
	}
	cases := []tc{
		{"CommentCreationMoveTaskColumn", EventTaskMoveColumn, func(f *actFix) []any { return []any{"column_id", f.col(3)} },
			moveTo(3), []string{EventTaskMoveColumn, EventCommentCreate},
			func(t *testing.T, f *actFix, tk TaskSnapshot) {
				cs, _ := f.s.Comments(f.ctx, tk.ID)
				if len(cs) != 1 || cs[0].Comment != "Moved to column Done" || cs[0].UserID != f.me.UserID {
					t.Errorf("comments %+v", cs)
				}
			}},
		{"StopSubtaskTimerMoveTaskColumn", EventTaskMoveColumn, func(f *actFix) []any { return []any{"column_id", f.col(3)} },
			func(t *testing.T, f *actFix) (int64, []string) {
				id, _ := f.task(t, NewTask{})
				sid, _, err := f.s.CreateSubtask(f.ctx, f.me, NewSubtask{TaskID: id, Title: "S", UserID: f.me.UserID})
				if err != nil {
					t.Fatal(err)
				}
				if err := f.s.StartSubtaskTimer(f.ctx, sid, f.me.UserID); err != nil {
					t.Fatal(err)
				}
				f.clock = f.clock.Add(time.Hour)
				return id, f.ok(f.s.MoveTask(f.ctx, f.me, id, TaskMove{ColumnID: f.col(3), Position: 1}))
			}, []string{EventTaskMoveColumn, EventSubtaskUpdate, EventSubtaskUpdate},
			func(t *testing.T, f *actFix, tk TaskSnapshot) {
				subs, _ := f.s.Subtasks(f.ctx, tk.ID)
				if len(subs) != 1 || subs[0].Status != SubtaskDone || subs[0].TimeSpent != 1 {
					t.Errorf("subtasks %+v", subs)
				}
			}},
		{"SubtaskTimerMoveTaskColumn", EventTaskMoveColumn, func(f *actFix) []any { return []any{"column_id", f.col(2), "subtask", "Work"} },
			moveTo(2), []string{EventTaskMoveColumn, EventSubtaskCreate},
			func(t *testing.T, f *actFix, tk TaskSnapshot) {
				subs, _ := f.s.Subtasks(f.ctx, tk.ID)
				if len(subs) != 1 || subs[0].Title != "Work" || subs[0].Status != SubtaskInProgress || subs[0].UserID != f.me.UserID {
					t.Fatalf("subtasks %+v", subs)
				}
				if on, _ := f.s.HasSubtaskTimer(f.ctx, subs[0].ID, f.me.UserID); !on {
					t.Error("no timer runs")
				}
			}},
		{"TaskAssignCategoryColor", ActionEventTaskCreateUpdate, func(f *actFix) []any { return []any{"color_id", "red", "category_id", f.bug} },
			func(t *testing.T, f *actFix) (int64, []string) { return f.task(t, NewTask{ColorID: "red"}) },
			[]string{EventTaskCreate, EventTaskUpdate}, categoryBug},
		{"TaskAssignCategoryLink", EventTaskLinkCreateUpdate, func(f *actFix) []any { return []any{"category_id", f.bug, "link_id", int64(2)} },
			func(t *testing.T, f *actFix) (int64, []string) {
				a, _ := f.task(t, NewTask{})
				b, _ := f.task(t, NewTask{})
				_, evs, err := f.s.CreateTaskLink(f.ctx, f.me, a, b, 2) // a blocks b; b's side is "is blocked by"
				return a, f.ok(evs, err)
			}, []string{EventTaskLinkCreateUpdate, EventTaskUpdate, EventTaskLinkCreateUpdate}, categoryBug},
		{"TaskAssignCategorySwimlaneChange", EventTaskMoveSwimlane, func(f *actFix) []any { return []any{"swimlane_id", f.urgent, "category_id", f.bug} },
			toUrgent, []string{EventTaskMoveSwimlane, EventTaskUpdate}, categoryBug},
		{"TaskAssignColorCategory", ActionEventTaskCreateUpdate, func(f *actFix) []any { return []any{"color_id", "green", "category_id", f.bug} },
			func(t *testing.T, f *actFix) (int64, []string) { return f.task(t, NewTask{CategoryID: f.bug}) },
			[]string{EventTaskCreate, EventTaskUpdate}, colorIs("green")},
		{"TaskAssignColorColumn", EventTaskMoveColumn, func(f *actFix) []any { return []any{"column_id", f.col(3), "color_id", "green"} },
			moveTo(3), []string{EventTaskMoveColumn, EventTaskUpdate}, colorIs("green")},
		{"TaskAssignColorLink", EventTaskLinkCreateUpdate, func(f *actFix) []any { return []any{"color_id", "red", "link_id", int64(1)} },
			func(t *testing.T, f *actFix) (int64, []string) {
				a, _ := f.task(t, NewTask{})
				b, _ := f.task(t, NewTask{})
				_, evs, err := f.s.CreateTaskLink(f.ctx, f.me, a, b, 1) // relates to, both ways
				return b, f.ok(evs, err)
			}, []string{EventTaskLinkCreateUpdate, EventTaskUpdate, EventTaskLinkCreateUpdate, EventTaskUpdate}, colorIs("red")},
		{"TaskAssignColorOnDueDate", ActionEventDaily, func(f *actFix) []any { return []any{"color_id", "red"} },
			daily(func(f *actFix) NewTask { return NewTask{DateDue: f.clock.Unix() + day} }), []string{EventTaskUpdate}, colorIs("red")},
		{"TaskAssignColorOnStartDate", ActionEventDaily, func(f *actFix) []any { return []any{"color_id", "red"} },
			daily(func(f *actFix) NewTask { return NewTask{DateStarted: f.clock.Unix() + day} }), []string{EventTaskUpdate}, colorIs("red")},
		{"TaskAssignColorPriority", ActionEventTaskCreateUpdate, func(f *actFix) []any { return []any{"color_id", "red", "priority", "3"} },
			func(t *testing.T, f *actFix) (int64, []string) { return f.task(t, NewTask{Priority: 3}) },
			[]string{EventTaskCreate, EventTaskUpdate}, colorIs("red")},
		{"TaskAssignColorSwimlane", EventTaskCreate, func(f *actFix) []any { return []any{"swimlane_id", f.urgent, "color_id", "red"} },
			func(t *testing.T, f *actFix) (int64, []string) { return f.task(t, NewTask{SwimlaneID: f.urgent}) },
			[]string{EventTaskCreate, EventTaskUpdate}, colorIs("red")},
		{"TaskAssignColorUser", EventTaskAssigneeChange, func(f *actFix) []any { return []any{"color_id", "red", "user_id", f.bob} },
			assignBob, []string{EventTaskAssigneeChange, EventTaskUpdate}, colorIs("red")},
		{"TaskAssignCreator", EventTaskMoveColumn, func(f *actFix) []any { return []any{"column_id", f.col(3)} },
			moveTo(3), []string{EventTaskMoveColumn, EventTaskAssigneeChange}, ownerIs(me)},
		{"TaskAssignCurrentUser", EventTaskCreate, func(f *actFix) []any { return nil },
			func(t *testing.T, f *actFix) (int64, []string) { return f.task(t, NewTask{}) },
			[]string{EventTaskCreate, EventTaskAssigneeChange}, ownerIs(me)},
		{"TaskAssignCurrentUserColumn", EventTaskMoveColumn, func(f *actFix) []any { return []any{"column_id", f.col(3)} },
			func(t *testing.T, f *actFix) (int64, []string) {
				id, _ := f.task(t, NewTask{OwnerID: f.bob})
				return id, f.ok(f.s.MoveTask(f.ctx, f.me, id, TaskMove{ColumnID: f.col(3), Position: 1}))
			}, []string{EventTaskMoveColumn, EventTaskAssigneeChange}, ownerIs(me)},
		{"TaskAssignCurrentUserColumnIfNoUserAlreadySet", EventTaskMoveColumn, func(f *actFix) []any { return []any{"column_id", f.col(3)} },
			moveTo(3), []string{EventTaskMoveColumn, EventTaskAssigneeChange}, ownerIs(me)},
		{"TaskAssignDueDateOnCreation", EventTaskCreate, func(f *actFix) []any { return []any{"duration", "3"} },
			func(t *testing.T, f *actFix) (int64, []string) { return f.task(t, NewTask{}) },
			[]string{EventTaskCreate, EventTaskUpdate},
			func(t *testing.T, f *actFix, tk TaskSnapshot) {
				if tk.DateDue != f.clock.Unix()+3*day {
					t.Errorf("date_due %d, want %d", tk.DateDue, f.clock.Unix()+3*day)
				}
			}},
		{"TaskAssignDueDateOnMoveColumn", EventTaskMoveColumn, func(f *actFix) []any { return []any{"duration", "2", "column_id", f.col(0)} },
			moveTo(1), []string{EventTaskMoveColumn, EventTaskUpdate},
			func(t *testing.T, f *actFix, tk TaskSnapshot) {
				if tk.DateDue != f.clock.Unix()+2*day {
					t.Errorf("date_due %d, want %d", tk.DateDue, f.clock.Unix()+2*day)
				}
			}},
		{"TaskAssignPrioritySwimlane", EventTaskMoveSwimlane, func(f *actFix) []any { return []any{"swimlane_id", f.urgent, "priority", "2"} },
			toUrgent, []string{EventTaskMoveSwimlane, EventTaskUpdate},
			func(t *testing.T, f *actFix, tk TaskSnapshot) {
				if tk.Priority != 2 {
					t.Errorf("priority %d", tk.Priority)
				}
			}},
		{"TaskAssignSpecificUser", EventTaskMoveColumn, func(f *actFix) []any { return []any{"column_id", f.col(3), "user_id", f.bob} },
			moveTo(3), []string{EventTaskMoveColumn, EventTaskAssigneeChange}, ownerIs(bob)},
		{"TaskAssignToUserOnCreationInColumn", EventTaskCreate, func(f *actFix) []any { return []any{"column_id", f.col(1)} },
			func(t *testing.T, f *actFix) (int64, []string) { return f.task(t, NewTask{ColumnID: f.col(1)}) },
			[]string{EventTaskCreate, EventTaskAssigneeChange}, ownerIs(me)},
		{"TaskAssignUserSwimlaneChange", EventTaskCreate, func(f *actFix) []any { return []any{"swimlane_id", f.urgent, "user_id", f.bob} },
			func(t *testing.T, f *actFix) (int64, []string) { return f.task(t, NewTask{SwimlaneID: f.urgent}) },
			[]string{EventTaskCreate, EventTaskAssigneeChange}, ownerIs(bob)},
		{"TaskCloseColumn", EventTaskMoveColumn, func(f *actFix) []any { return []any{"column_id", f.col(3)} },
			moveTo(3), []string{EventTaskMoveColumn, EventTaskClose}, closed},
		{"TaskCloseNoActivity", ActionEventDaily, func(f *actFix) []any { return []any{"duration", "2"} },
			daily(plain), []string{EventTaskClose}, closed},
		{"TaskCloseNoActivityColumn", ActionEventDaily, func(f *actFix) []any { return []any{"duration", "2", "column_id", f.col(0)} },
			daily(plain), []string{EventTaskClose}, closed},
		{"TaskCloseNotMovedColumn", ActionEventDaily, func(f *actFix) []any { return []any{"duration", "2", "column_id", f.col(0)} },
			daily(plain), []string{EventTaskClose}, closed},
		{"TaskDuplicateAnotherProject", EventTaskClose, func(f *actFix) []any { return []any{"column_id", f.col(0), "project_id", f.q.project} },
			func(t *testing.T, f *actFix) (int64, []string) {
				id, _ := f.task(t, NewTask{Title: "Copied"})
				return id, f.ok(f.s.CloseTask(f.ctx, f.me, id))
			}, []string{EventTaskClose, EventTaskCreate},
			func(t *testing.T, f *actFix, tk TaskSnapshot) {
				copies, _ := f.s.Tasks(f.ctx, f.q.project, TaskAny)
				if len(copies) != 1 || copies[0].Title != "Copied" || copies[0].ColumnID != f.q.cols[0].ID {
					t.Errorf("tasks of Q: %+v", copies)
				}
			}},
		{"TaskMoveAnotherProject", EventTaskMoveColumn, func(f *actFix) []any { return []any{"column_id", f.col(3), "project_id", f.q.project} },
			moveTo(3), []string{EventTaskMoveColumn, EventTaskMoveProject},
			func(t *testing.T, f *actFix, tk TaskSnapshot) {
				if tk.ProjectID != f.q.project {
					t.Errorf("project %d, want %d", tk.ProjectID, f.q.project)
				}
			}},
		{"TaskMoveColumnAssigned", EventTaskAssigneeChange, func(f *actFix) []any { return []any{"src_column_id", f.col(0), "dest_column_id", f.col(2)} },
			assignBob, []string{EventTaskAssigneeChange, EventTaskMoveColumn}, inColumn(2)},
		{"TaskMoveColumnCategoryChange", EventTaskUpdate, func(f *actFix) []any { return []any{"dest_column_id", f.col(3), "category_id", f.bug} },
			func(t *testing.T, f *actFix) (int64, []string) {
				id, _ := f.task(t, NewTask{})
				return id, f.ok(f.s.UpdateTask(f.ctx, f.me, id, TaskUpdate{CategoryID: &f.bug}))
			}, []string{EventTaskUpdate, EventTaskMoveColumn}, inColumn(3)},
		{"TaskMoveColumnClosed", EventTaskClose, func(f *actFix) []any { return []any{"dest_column_id", f.col(3)} },
			func(t *testing.T, f *actFix) (int64, []string) {
				id, _ := f.task(t, NewTask{})
				return id, f.ok(f.s.CloseTask(f.ctx, f.me, id))
			}, []string{EventTaskClose, EventTaskMoveColumn}, inColumn(3)},
		{"TaskMoveColumnNotMovedPeriod", ActionEventDaily, func(f *actFix) []any {
			return []any{"duration", "2", "src_column_id", f.col(0), "dest_column_id", f.col(1)}
		}, daily(plain), []string{EventTaskMoveColumn}, inColumn(1)},
		{"TaskMoveColumnOnDueDate", ActionEventDaily, func(f *actFix) []any {
			return []any{"duration", "2", "src_column_id", f.col(0), "dest_column_id", f.col(1)}
		}, daily(func(f *actFix) NewTask { return NewTask{DateDue: f.clock.Unix() + 4*day} }), []string{EventTaskMoveColumn}, inColumn(1)},
		{"TaskMoveColumnOnStartDate", ActionEventDaily, func(f *actFix) []any { return []any{"src_column_id", f.col(0), "dest_column_id", f.col(1)} },
			daily(func(f *actFix) NewTask { return NewTask{DateStarted: f.clock.Unix() + day} }), []string{EventTaskMoveColumn}, inColumn(1)},
		{"TaskMoveColumnUnAssigned", EventTaskAssigneeChange, func(f *actFix) []any { return []any{"src_column_id", f.col(0), "dest_column_id", f.col(1)} },
			func(t *testing.T, f *actFix) (int64, []string) {
				id, _ := f.task(t, NewTask{OwnerID: f.bob})
				return id, f.ok(f.s.UpdateTask(f.ctx, f.me, id, TaskUpdate{OwnerID: new(int64)}))
			}, []string{EventTaskAssigneeChange, EventTaskMoveColumn}, inColumn(1)},
		{"TaskMoveSwimlaneAssigned", EventTaskAssigneeChange, func(f *actFix) []any { return []any{"user_id", f.bob, "dest_swimlane_id", f.urgent} },
			assignBob, []string{EventTaskAssigneeChange, EventTaskMoveSwimlane}, inUrgent},
		{"TaskMoveSwimlaneCategoryChange", EventTaskUpdate, func(f *actFix) []any { return []any{"dest_swimlane_id", f.urgent, "category_id", f.bug} },
			func(t *testing.T, f *actFix) (int64, []string) {
				id, _ := f.task(t, NewTask{})
				return id, f.ok(f.s.UpdateTask(f.ctx, f.me, id, TaskUpdate{CategoryID: &f.bug}))
			}, []string{EventTaskUpdate, EventTaskMoveSwimlane}, inUrgent},
		{"TaskUpdateStartDate", EventTaskMoveColumn, func(f *actFix) []any { return []any{"column_id", f.col(2)} },
			moveTo(2), []string{EventTaskMoveColumn, EventTaskUpdate},
			func(t *testing.T, f *actFix, tk TaskSnapshot) {
				if tk.DateStarted != f.clock.Unix() {
					t.Errorf("date_started %d, want %d", tk.DateStarted, f.clock.Unix())
				}
			}},
		{"TaskUpdateStartDateOnMoveColumn", EventTaskMoveColumn, func(f *actFix) []any { return []any{"column_id", f.col(0)} },
			moveTo(1), []string{EventTaskMoveColumn, EventTaskUpdate},
			func(t *testing.T, f *actFix, tk TaskSnapshot) {
				if tk.DateStarted != f.clock.Unix() {
					t.Errorf("date_started %d, want %d", tk.DateStarted, f.clock.Unix())
				}
			}},
	}
	tested := map[string]bool{}
	for _, c := range cases {
		tested[kb(c.action)] = true
		t.Run(c.action, func(t *testing.T) {
			f := newActFix(t)
			f.rule(t, c.action, c.event, c.params(f)...)
			id, evs := c.trigger(t, f)
			if got := f.names(t, evs); !slices.Equal(got, c.want) {
				t.Errorf("events %v, want %v", got, c.want)
			}
			c.check(t, f, f.get(t, id))
		})
	}
	for _, k := range ActionKinds() {
		if !tested[k.Name] {
			t.Errorf("%s has no case", k.Name)
		}
	}
}

// A rule whose condition does not hold does nothing, and the change that
// triggered it has only its own event.
func TestActionConditionNotMet(t *testing.T) {
	f := newActFix(t)
	f.rule(t, "TaskCloseColumn", EventTaskMoveColumn, "column_id", f.col(3))
	id, _ := f.task(t, NewTask{})
	evs := f.ok(f.s.MoveTask(f.ctx, f.me, id, TaskMove{ColumnID: f.col(2), Position: 1}))
	if got := f.names(t, evs); !slices.Equal(got, []string{EventTaskMoveColumn}) {
		t.Errorf("events %v", got)
	}
	if f.get(t, id).IsActive != 1 {
		t.Error("closed")
	}
	// A rule of another project does not run here.
	if _, err := f.s.CreateAction(f.ctx, f.q.project, EventTaskCreate, kb("TaskAssignDueDateOnCreation"), []ActionParam{{"duration", "1"}}); err != nil {
		t.Fatal(err)
	}
	_, evs = f.task(t, NewTask{})
	if got := f.names(t, evs); !slices.Equal(got, []string{EventTaskCreate}) {
		t.Errorf("events %v", got)
	}
}

// Rules that trigger each other in a ring run once each per task, and stop.
func TestActionLoopRunsOnce(t *testing.T) {
	f := newActFix(t)
	f.rule(t, "TaskAssignCategoryColor", ActionEventTaskCreateUpdate, "color_id", "red", "category_id", f.feat)
	f.rule(t, "TaskAssignColorCategory", ActionEventTaskCreateUpdate, "color_id", "green", "category_id", f.feat)
	f.rule(t, "TaskAssignCategoryColor", ActionEventTaskCreateUpdate, "color_id", "green", "category_id", f.bug)
	f.rule(t, "TaskAssignColorCategory", ActionEventTaskCreateUpdate, "color_id", "red", "category_id", f.bug)
	id, evs := f.task(t, NewTask{ColorID: "red"})
	want := []string{EventTaskCreate, EventTaskUpdate, EventTaskUpdate, EventTaskUpdate, EventTaskUpdate}
	if got := f.names(t, evs); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if tk := f.get(t, id); tk.ColorID != "red" || tk.CategoryID != f.bug {
		t.Errorf("color %s category %d", tk.ColorID, tk.CategoryID)
	}
	n, _ := f.s.EventCount(f.ctx, EventTaskUpdate)
	if n != 4 {
		t.Errorf("%d task.update events stored, want 4", n)
	}
}

// A rule whose change the store refuses is undone; the triggering change
// stands with its event.
func TestActionRefusedChangeIsSkipped(t *testing.T) {
	f := newActFix(t)
	stranger, err := f.s.CreateUser(f.ctx, "stranger", "long enough password", false)
	if err != nil {
		t.Fatal(err)
	}
	f.rule(t, "TaskAssignSpecificUser", EventTaskMoveColumn, "column_id", f.col(3), "user_id", stranger.ID)
	f.rule(t, "TaskCloseColumn", EventTaskMoveColumn, "column_id", f.col(3))
	id, _ := f.task(t, NewTask{})
	evs := f.ok(f.s.MoveTask(f.ctx, f.me, id, TaskMove{ColumnID: f.col(3), Position: 1}))
	if got := f.names(t, evs); !slices.Equal(got, []string{EventTaskMoveColumn, EventTaskClose}) {
		t.Errorf("events %v", got)
	}
	if tk := f.get(t, id); tk.OwnerID != 0 || tk.ColumnID != f.col(3) || tk.IsActive != 0 {
		t.Errorf("task %+v", tk)
	}
}

func TestRunDailyActionsOncePerInterval(t *testing.T) {
	f := newActFix(t)
	f.rule(t, "TaskCloseNoActivity", ActionEventDaily, "duration", "0")
	id, _ := f.task(t, NewTask{})
	f.clock = f.clock.Add(time.Hour)
	evs, ran, err := f.s.RunDailyActions(f.ctx, 24*time.Hour)
	if err != nil || !ran || len(evs) != 1 {
		t.Fatalf("first run: %v %v %v", evs, ran, err)
	}
	id2, _ := f.task(t, NewTask{})
	f.clock = f.clock.Add(23 * time.Hour)
	if evs, ran, err := f.s.RunDailyActions(f.ctx, 24*time.Hour); err != nil || ran || len(evs) != 0 {
		t.Fatalf("second run within the day: %v %v %v", evs, ran, err)
	}
	f.clock = f.clock.Add(time.Hour)
	if evs, ran, err := f.s.RunDailyActions(f.ctx, 24*time.Hour); err != nil || !ran || len(evs) != 1 {
		t.Fatalf("run a day later: %v %v %v", evs, ran, err)
	}
	if f.get(t, id).IsActive != 0 || f.get(t, id2).IsActive != 0 {
		t.Error("tasks left open")
	}
}

func TestCreateActionChecks(t *testing.T) {
	f := newActFix(t)
	other := f.q.cols[0].ID
	cases := []struct {
		name, event, action string
		params              []ActionParam
		want                error
	}{
		{"unknown action", EventTaskCreate, `\Kanboard\Action\Nope`, nil, ErrInvalid},
		{"mail action", EventTaskCreate, kb("TaskEmail"), nil, ErrInvalid},
		{"incompatible event", EventTaskUpdate, kb("TaskCloseColumn"), []ActionParam{{"column_id", "1"}}, ErrInvalid},
		{"missing param", EventTaskMoveColumn, kb("TaskCloseColumn"), nil, ErrInvalid},
		{"extra param", EventTaskMoveColumn, kb("TaskCloseColumn"), []ActionParam{{"column_id", strconv.FormatInt(f.col(3), 10)}, {"x", "1"}}, ErrInvalid},
		{"column of another project", EventTaskMoveColumn, kb("TaskCloseColumn"), []ActionParam{{"column_id", strconv.FormatInt(other, 10)}}, ErrInvalid},
		{"not a number", EventTaskMoveColumn, kb("TaskCloseColumn"), []ActionParam{{"column_id", "Done"}}, ErrInvalid},
		{"bad color", ActionEventTaskCreateUpdate, kb("TaskAssignColorCategory"), []ActionParam{{"color_id", "mauve"}, {"category_id", strconv.FormatInt(f.bug, 10)}}, ErrInvalid},
		{"own project", EventTaskClose, kb("TaskMoveAnotherProject"), []ActionParam{{"column_id", strconv.FormatInt(f.col(0), 10)}, {"project_id", strconv.FormatInt(f.p.project, 10)}}, ErrInvalid},
		{"negative duration", EventTaskCreate, kb("TaskAssignDueDateOnCreation"), []ActionParam{{"duration", "-1"}}, ErrInvalid},
	}
	for _, c := range cases {
		if _, err := f.s.CreateAction(f.ctx, f.p.project, c.event, c.action, c.params); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := f.s.CreateAction(f.ctx, 999, EventTaskCreate, kb("TaskAssignCurrentUser"), nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown project: %v", err)
	}
	if got, _ := f.s.Actions(f.ctx, f.p.project); len(got) != 0 {
		t.Errorf("rules written: %+v", got)
	}
	id := f.rule(t, "TaskMoveColumnAssigned", EventTaskUpdate, "src_column_id", f.col(0), "dest_column_id", f.col(2))
	a, err := f.s.ActionByID(f.ctx, id)
	if err != nil || a.ProjectID != f.p.project || a.EventName != EventTaskUpdate || len(a.Params) != 2 ||
		a.Params[0].Name != "src_column_id" || a.Param("dest_column_id") != strconv.FormatInt(f.col(2), 10) {
		t.Errorf("read back %+v, %v", a, err)
	}
	if err := f.s.RemoveAction(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := f.s.RemoveAction(f.ctx, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("second remove: %v", err)
	}
}

func TestActionCatalog(t *testing.T) {
	kinds := ActionKinds()
	if len(kinds) != 41 {
		t.Errorf("%d actions", len(kinds))
	}
	for i, k := range kinds {
		if i > 0 && kinds[i-1].Description > k.Description {
			t.Errorf("%s is out of order", k.Name)
		}
		if len(k.Events) == 0 || k.when == nil || k.do == nil {
			t.Errorf("%s is incomplete", k.Name)
		}
		for _, ev := range k.Events {
			if !slices.ContainsFunc(ActionEvents, func(e ActionEvent) bool { return e.Name == ev }) {
				t.Errorf("%s: event %s is not an action event", k.Name, ev)
			}
		}
	}
}

// A chain of distinct rules, each triggered by the previous one's change,
// stops after maxActionDepth levels.
func TestActionChainDepthIsBounded(t *testing.T) {
	f := newActFix(t)
	colors := []string{"red", "green", "blue", "purple", "orange", "grey"}
	var cats []int64
	for i := range 5 {
		id, _, err := f.s.AddCategory(f.ctx, f.me, f.p.project, "C"+strconv.Itoa(i), "")
		if err != nil {
			t.Fatal(err)
		}
		cats = append(cats, id)
	}
	// colors[i] → cats[i] → colors[i+1]: ten rules in a line.
	for i, c := range cats {
		f.rule(t, "TaskAssignCategoryColor", ActionEventTaskCreateUpdate, "color_id", colors[i], "category_id", c)
		f.rule(t, "TaskAssignColorCategory", ActionEventTaskCreateUpdate, "color_id", colors[i+1], "category_id", c)
	}
	_, evs := f.task(t, NewTask{ColorID: "red"})
	if got := f.names(t, evs); len(got) != 1+maxActionDepth {
		t.Errorf("%d events (%v), want the task.create and %d levels of rules", len(got), got, maxActionDepth)
	}
}
