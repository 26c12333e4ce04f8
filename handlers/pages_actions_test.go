package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hookboard/store"
)

// TestActionsPageForManagersOnly: a project member who is not its manager
// is refused the page and its forms, and changes nothing.
func TestActionsPageForManagersOnly(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	cols, _ := e.st.Columns(bg, e.projectID)
	rule, err := e.st.CreateAction(bg, e.projectID, store.EventTaskMoveColumn, `\Kanboard\Action\TaskCloseColumn`,
		[]store.ActionParam{{Name: "column_id", Value: itoa(cols[3].ID)}})
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	e.login(t, c, "member", memberPassword)
	path := "/projects/" + itoa(e.projectID) + "/actions"
	if resp, _ := e.get(t, c, path); resp.StatusCode != http.StatusForbidden {
		t.Errorf("member GET: %d", resp.StatusCode)
	}
	form := url.Values{"action_name": {`\Kanboard\Action\TaskCloseColumn`}, "event_name": {"task.move.column"}, "param_column_id": {itoa(cols[0].ID)}}
	if resp := e.postForm(t, c, path, form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("member POST: %d", resp.StatusCode)
	}
	if resp := e.postForm(t, c, path+"/"+itoa(rule)+"/delete", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("member POST delete: %d", resp.StatusCode)
	}
	if rules, _ := e.st.Actions(bg, e.projectID); len(rules) != 1 {
		t.Errorf("rules after the member's tries: %+v", rules)
	}

	// The admin's bad input: a clear error, nothing written.
	admin := e.client(t)
	e.login(t, admin, "admin", adminPassword)
	form.Set("event_name", "task.update")
	body := e.postFollow(t, admin, path, form)
	if !strings.Contains(body, "does not run on event") {
		t.Errorf("an incompatible event: no error shown")
	}
	if rules, _ := e.st.Actions(bg, e.projectID); len(rules) != 1 {
		t.Errorf("rules after a refused add: %+v", rules)
	}
}
