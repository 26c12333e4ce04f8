package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

// render renders a component and parses it for queries.
func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

func testID(id string) string { return `[data-testid="` + id + `"]` }

func TestLayoutShowsSettingsToAdminsOnly(t *testing.T) {
	admin := render(t, ErrorView(ErrorPage{Page: Page{Title: "x", User: &Viewer{Username: "ann", IsAdmin: true, FirstProjectID: 3}}}))
	if admin.Find(testID("nav-settings")).Length() != 1 {
		t.Fatal("an admin has no Settings link")
	}
	if href, _ := admin.Find(testID("nav-board")).Attr("href"); href != "/projects/3/board" {
		t.Fatalf("board link %q", href)
	}
	if got := admin.Find(testID("current-user")).Text(); got != "ann" {
		t.Fatalf("current user %q", got)
	}
	member := render(t, ErrorView(ErrorPage{Page: Page{Title: "x", User: &Viewer{Username: "bob"}}}))
	if member.Find(testID("nav-settings")).Length() != 0 {
		t.Fatal("a member has a Settings link")
	}
	if member.Find(testID("logout")).Closest("form").AttrOr("method", "") != "post" {
		t.Fatal("logout is not a POST form")
	}
	anon := render(t, LoginView(LoginPage{Page: Page{Title: "Log in"}}))
	if anon.Find(testID("logout")).Length() != 0 || anon.Find(testID("nav-board")).Length() != 0 {
		t.Fatal("the login page shows navigation")
	}
}

func TestLayoutMessagesAndNoInlineScript(t *testing.T) {
	doc := render(t, ErrorView(ErrorPage{Page: Page{Title: "x", Flash: "Saved.", Error: "Title is required."}}))
	if doc.Find(testID("flash")).Text() != "Saved." || doc.Find(testID("form-error")).Text() != "Title is required." {
		t.Fatal("flash or error missing")
	}
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if _, ok := s.Attr("src"); !ok || strings.TrimSpace(s.Text()) != "" {
			t.Error("an inline script would break the CSP")
		}
	})
	if doc.Find("[style]").Length() != 0 {
		t.Error("an inline style attribute would break the CSP")
	}
}

func TestLoginViewKeepsNextAndUsername(t *testing.T) {
	doc := render(t, LoginView(LoginPage{Page: Page{Error: "Wrong username or password."}, Username: "ann", Next: "/tasks/4?x=1"}))
	form := doc.Find(testID("login-form"))
	if action, _ := form.Attr("action"); action != "/login?next=%2Ftasks%2F4%3Fx%3D1" {
		t.Fatalf("action %q", action)
	}
	if v, _ := form.Find("#username").Attr("value"); v != "ann" {
		t.Fatalf("username kept as %q", v)
	}
	if form.Find(`label[for="password"]`).Length() != 1 {
		t.Fatal("the password field has no label")
	}
}

func TestBoardViewPlacesCardsInCells(t *testing.T) {
	v := BoardPage{CanEdit: true, CanManage: true,
		Page:      Page{Title: "Default", Active: "board", User: &Viewer{Username: "ann"}},
		ProjectID: 1, ProjectName: "Default",
		Columns: []BoardColumn{{ID: 10, Title: "Backlog"}, {ID: 11, Title: "Ready"}},
		Lanes: []Lane{{ID: 5, Name: "Default swimlane", Cells: []Cell{
			{ColumnID: 10, Column: "Backlog", Cards: []Card{{ID: 7, Title: "<b>bold</b> move", ColorID: "blue", NextColumnID: 11, NextColumn: "Ready", SwimlaneID: 5, Owner: "bob"}}},
			{ColumnID: 11, Column: "Ready"},
		}}},
		Colors: []Option{{Value: "yellow", Label: "Yellow", Selected: true}, {Value: "blue", Label: "Blue"}},
	}
	doc := render(t, BoardView(v))
	card := doc.Find(testID("column-10") + " " + testID("task-card"))
	if card.Length() != 1 || card.AttrOr("data-task-id", "") != "7" {
		t.Fatalf("card in Backlog: %d", card.Length())
	}
	if !card.HasClass("color-blue") {
		t.Fatalf("card classes %q", card.AttrOr("class", ""))
	}
	if got := card.Find(testID("task-title")).Text(); got != "<b>bold</b> move" {
		t.Fatalf("title %q (must be text, not markup)", got)
	}
	if card.Find("b").Length() != 0 {
		t.Fatal("the title's markup was rendered")
	}
	if doc.Find(testID("column-11")+" "+testID("task-card")).Length() != 0 {
		t.Fatal("a card in Ready")
	}
	next := card.Find(testID("move-next")).Closest("form")
	if next.AttrOr("action", "") != "/tasks/7/move" || next.Find(`input[name="column_id"]`).AttrOr("value", "") != "11" {
		t.Fatalf("move form action %q", next.AttrOr("action", ""))
	}
	if card.Find(testID("move-prev")).Length() != 0 {
		t.Fatal("a card in the first column can move left")
	}
	form := doc.Find(testID("new-task-form"))
	if form.AttrOr("action", "") != "/projects/1/tasks" || form.AttrOr("method", "") != "post" {
		t.Fatal("new task form")
	}
	if opts := form.Find("#new-color option"); opts.Length() != 2 || opts.Filter("[selected]").AttrOr("value", "") != "yellow" {
		t.Fatalf("color choices: %d, selected %q", opts.Length(), opts.Filter("[selected]").AttrOr("value", ""))
	}
	form.Find("input, select").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		if id == "" || doc.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("field %q has no label", s.AttrOr("name", ""))
		}
	})
}

func TestIntegrationsViewShowsSecretOnlyWhenGiven(t *testing.T) {
	row := IntegrationRow{ID: 2, Name: "CI", Kind: "incoming", TokenHint: "hbi_…abcd", Enabled: true,
		Usage: []UsageDay{{"d1", 0}, {"d2", 4}, {"d3", 0}, {"d4", 2}, {"d5", 0}, {"d6", 0}, {"d7", 1}}}
	page := IntegrationsPage{Page: Page{Title: "Integrations", User: &Viewer{Username: "ann", IsAdmin: true}}, Items: []IntegrationRow{row}}

	doc := render(t, IntegrationsView(page))
	if doc.Find(testID("shown-secret")).Length() != 0 {
		t.Fatal("a secret box without a secret")
	}
	r := doc.Find(testID("integration-row"))
	if r.Find(testID("integration-name")).Text() != "CI" || r.Find(testID("usage-total")).Text() != "7" {
		t.Fatalf("row: %q total %q", r.Find(testID("integration-name")).Text(), r.Find(testID("usage-total")).Text())
	}
	chart := r.Find(testID("usage-chart"))
	bars := chart.Find(testID("chart-slot") + " rect.fill")
	if bars.Length() != 7 {
		t.Fatalf("%d bars", bars.Length())
	}
	if h := bars.Eq(1).AttrOr("height", ""); h != "100" {
		t.Fatalf("busiest day's bar height %q, want 100", h)
	}
	if h := bars.Eq(0).AttrOr("height", ""); h != "0" {
		t.Fatalf("empty day's bar height %q, want 0", h)
	}
	// Every day is labelled under its bar, and its number is written out.
	slots := chart.Find(testID("chart-slot"))
	if got := slots.Eq(1).Find("text.label").Text(); got != "d2" {
		t.Fatalf("day label %q", got)
	}
	if got := slots.Eq(1).AttrOr("aria-label", ""); got != "d2: 4 requests" {
		t.Fatalf("day's numbers %q", got)
	}
	if del := r.Find(`form[action="/settings/integrations/2/delete"]`); del.AttrOr("data-confirm", "") == "" || del.AttrOr("method", "") != "post" {
		t.Fatal("delete is not a confirmed POST")
	}

	page.Shown = &ShownSecret{What: "Integration “CI”", Token: "hbi_secret", Curl: "curl 'http://x/?token=hbi_secret'"}
	doc = render(t, IntegrationsView(page))
	if doc.Find(testID("shown-token")).Text() != "hbi_secret" || doc.Find(testID("shown-curl")).Text() != "curl 'http://x/?token=hbi_secret'" {
		t.Fatal("the new token or curl is not shown")
	}
	if doc.Find(testID("copy-curl")).AttrOr("data-copy", "") != "shown-curl" {
		t.Fatal("no copy-as-curl button")
	}
	if doc.Find(testID("shown-app-secret")).Length() != 0 {
		t.Fatal("an app secret box without an app secret")
	}
}

func TestChartBarsScaleToTheLargest(t *testing.T) {
	c := Chart{Max: 1000, Series: []ChartSeries{{Name: "n"}}, Compact: true, Slots: []ChartSlot{
		{Values: []float64{1}}, {Values: []float64{1000}}, {Values: []float64{0}}, {Values: []float64{-1}}}}
	_, h, slots := c.layout()
	if slots[1].Bars[0].H != sparkH-2 || slots[0].Bars[0].H != 1 || slots[2].Bars[0].H != 0 {
		t.Fatalf("bar heights %+v", slots)
	}
	for _, s := range slots[:3] {
		if b := s.Bars[0]; b.Y+b.H != h-2 {
			t.Fatalf("bar %+v does not stand on the axis", b)
		}
	}
	if !slots[3].NoData || len(slots[3].Bars) != 0 {
		t.Fatalf("a slot without data drew %+v", slots[3])
	}
}

func TestDeliveryViewShowsRequestAndResponse(t *testing.T) {
	v := DeliveryPage{
		Page:       Page{Title: "Delivery", User: &Viewer{Username: "ann", IsAdmin: true}},
		Delivery:   DeliveryRow{ID: 9, EventName: "task.create", EventID: "01abc", Status: "retrying", StatusKind: "warn", Attempts: 2},
		EndpointID: 3, EndpointName: "Chat", CanSend: true,
		Attempts: []AttemptView{
			{Trigger: "sync", RequestURL: "http://r/?token=[redacted]", RequestBody: `{"event_name":"task.create"}`, Error: "timeout after 1s"},
			{Trigger: "retry", RequestURL: "http://r/?token=[redacted]", RequestBody: `{"event_name":"task.create"}`,
				ResponseStatus: 503, ResponseHeaders: []Header{{"Retry-After", "30"}}, ResponseBody: "busy"},
		},
	}
	doc := render(t, DeliveryView(v))
	attempts := doc.Find(testID("attempt"))
	if attempts.Length() != 2 {
		t.Fatalf("%d attempts", attempts.Length())
	}
	// Newest first.
	if attempts.Eq(0).Find(testID("response-status")).Text() != "503" || attempts.Eq(0).Find(testID("response-body")).Text() != "busy" {
		t.Fatal("newest attempt's response")
	}
	if !strings.Contains(attempts.Eq(0).Find("pre.headers").Text(), "Retry-After: 30") {
		t.Fatal("response headers")
	}
	if got := attempts.Eq(1).Find(testID("attempt-error")).Text(); got != "No answer: timeout after 1s" {
		t.Fatalf("oldest attempt's error %q", got)
	}
	if doc.Find(testID("redeliver")).Closest("form").AttrOr("action", "") != "/settings/deliveries/9/redeliver" {
		t.Fatal("redeliver form")
	}
	v.CanSend = false
	if render(t, DeliveryView(v)).Find(testID("redeliver")).Length() != 0 {
		t.Fatal("a redeliver button on a server that sends nothing")
	}
}

func TestEndpointViewFormAndHealth(t *testing.T) {
	v := EndpointPage{
		Page: Page{Title: "Chat", User: &Viewer{Username: "ann", IsAdmin: true}},
		ID:   4, Name: "Chat", URL: "https://chat.example/hook", Enabled: false,
		Health: Health{Kind: "bad", Label: "Disabled by Hookboard", Detail: "answered 410 Gone"},
		Secret: "whsec_abc", Token: "hbw_def",
		Form: EndpointForm{URL: "https://chat.example/hook", AllEvents: false,
			Events: []Option{{Value: "task.create", Label: "task.create", Selected: true}, {Value: "task.close", Label: "task.close"}}},
		Deliveries: []DeliveryRow{{ID: 12, EventName: "task.create", Status: "failed", StatusKind: "bad", HTTPStatus: 410, Attempts: 1}},
	}
	doc := render(t, EndpointView(v))
	if doc.Find(testID("health")).Text() != "Disabled by Hookboard" || doc.Find(testID("enable-endpoint")).Length() != 1 {
		t.Fatal("health or enable button")
	}
	if doc.Find(testID("test-endpoint")).Length() != 0 {
		t.Fatal("a Test button without a sender")
	}
	if doc.Find(testID("endpoint-secret")).Text() != "whsec_abc" {
		t.Fatal("signing secret not shown")
	}
	checked := doc.Find(`input[name="events"]:checked`)
	if checked.Length() != 1 || checked.AttrOr("value", "") != "task.create" {
		t.Fatalf("%d events ticked", checked.Length())
	}
	if doc.Find(`input[name="all_events"]:checked`).Length() != 0 {
		t.Fatal("All events ticked for a filtered endpoint")
	}
	if doc.Find(testID("delivery-link")).AttrOr("href", "") != "/settings/deliveries/12" {
		t.Fatal("delivery link")
	}
	if doc.Find(testID("delete-endpoint")).Closest("form").AttrOr("data-confirm", "") == "" {
		t.Fatal("delete asks no confirmation")
	}
}

func TestTaskPageView(t *testing.T) {
	v := TaskPage{CanEdit: true,
		Page:     Page{Title: "#3", User: &Viewer{Username: "ann"}},
		Task:     TaskView{ID: 3, Title: "Fix login", ColorID: "red", ProjectID: 1, Column: "Ready", Closed: true},
		Comments: []CommentView{{ID: 1, Author: "bob", Text: "On it", CanDelete: true}, {ID: 2, Author: "eve", Text: "Mine"}},
		Subtasks: []SubtaskView{{ID: 2, Title: "Write test", Status: 2}},
		Files:    []FileView{{ID: 8, Name: "trace.txt", Size: "12 bytes"}},
	}
	doc := render(t, TaskPageView(v))
	if doc.Find(testID("task-status")).Text() != "Closed" || doc.Find(testID("open-task")).Length() != 1 || doc.Find(testID("close-task")).Length() != 0 {
		t.Fatal("closed task should offer Reopen only")
	}
	comments := doc.Find(testID("comment"))
	if comments.Eq(0).Find("p").Text() != "On it" || comments.Eq(0).Find(`form[action="/comments/1/delete"]`).Length() != 1 {
		t.Fatal("own comment with its delete button")
	}
	if comments.Eq(1).Find("form").Length() != 0 {
		t.Fatal("a delete button on another user's comment")
	}
	if !doc.Find(testID("subtask") + " .done").Is("span") {
		t.Fatal("a done subtask is not marked done")
	}
	if doc.Find(testID("file")+" a").AttrOr("href", "") != "/files/8" {
		t.Fatal("file link")
	}
	if doc.Find(testID("files")+" form").Last().AttrOr("enctype", "") != "multipart/form-data" {
		t.Fatal("upload form is not multipart")
	}
	if doc.Find(testID("move-form")).AttrOr("action", "") != "/tasks/3/move" {
		t.Fatal("move form")
	}
}

// allViews renders every page with a little of everything in it.
func allViews() map[string]templ.Component {
	admin := Page{Title: "x", User: &Viewer{Username: "ann", IsAdmin: true, FirstProjectID: 1}, Flash: "Saved."}
	opts := []Option{{Value: "1", Label: "One", Selected: true}, {Value: "2", Label: "Two"}}
	roles := []Option{{Value: "app-user", Label: "User", Selected: true}, {Value: "app-admin", Label: "Administrator"}}
	card := Card{ID: 1, Title: "Fix login", ColorID: "red", Owner: "bob", Score: 2, PrevColumnID: 1, PrevColumn: "Backlog", NextColumnID: 3, NextColumn: "Done", SwimlaneID: 1}
	form := EndpointForm{URL: "https://chat.example/hook", AllEvents: true, AllProj: true, Formats: opts, Events: opts, Projects: opts, TimeoutMS: 1000}
	shown := &ShownSecret{What: "Integration “CI”", Token: "hbi_x", AppSecret: "s", Curl: "curl 'http://h/?token=hbi_x'"}
	return map[string]templ.Component{
		"login": LoginView(LoginPage{Page: Page{Title: "Log in", Error: "Wrong username or password."}}),
		"error": ErrorView(ErrorPage{Page: admin, Message: "No such task."}),
		"board": BoardView(BoardPage{Page: admin, CanEdit: true, CanManage: true, ProjectID: 1, ProjectName: "Default", Projects: opts, Colors: opts,
			Columns: []BoardColumn{{ID: 1, Title: "Backlog"}, {ID: 2, Title: "Ready"}},
			Lanes: []Lane{{ID: 1, Name: "Default", Cells: []Cell{{ColumnID: 1, Column: "Backlog", Cards: []Card{card}}, {ColumnID: 2, Column: "Ready"}}},
				{ID: 2, Name: "Urgent", Cells: []Cell{{ColumnID: 1, Column: "Backlog"}, {ColumnID: 2, Column: "Ready"}}}}}),
		"task": TaskPageView(TaskPage{Page: admin, CanEdit: true, Task: TaskView{ID: 3, Title: "Fix login", ColorID: "red", ProjectID: 1},
			Columns: opts, Swimlanes: opts, Owners: opts, Categories: opts, Colors: opts,
			Comments: []CommentView{{ID: 1, Author: "bob", Text: "On it", CanDelete: true}},
			Subtasks: []SubtaskView{{ID: 2, Title: "Write test"}, {ID: 3, Title: "Review", Status: 2}},
			Files:    []FileView{{ID: 8, Name: "trace.txt", Size: "12 bytes"}}}),
		"webhooks": WebhooksView(WebhooksPage{Page: admin, Form: form,
			Endpoints: []EndpointRow{{ID: 1, Name: "Chat", URL: "https://chat.example/hook", Events: "All events", Format: "kanboard", Health: Health{Kind: "ok", Label: "Healthy"}}}}),
		"endpoint": EndpointView(EndpointPage{Page: admin, ID: 1, Name: "Chat", URL: "https://chat.example/hook", Enabled: true, CanSend: true,
			Secret: "whsec_a", Token: "hbw_b", PrevSecret: "whsec_old", SecretUntil: "tomorrow", Form: form,
			Deliveries: []DeliveryRow{{ID: 12, EventName: "task.create", Status: "failed", StatusKind: "bad", HTTPStatus: 410, Attempts: 1}}}),
		"delivery": DeliveryView(DeliveryPage{Page: admin, EndpointID: 1, EndpointName: "Chat", CanSend: true,
			Delivery: DeliveryRow{ID: 9, EventName: "task.create", Status: "delivered", StatusKind: "ok", Attempts: 1},
			Attempts: []AttemptView{{Trigger: "sync", RequestURL: "http://r/", RequestBody: "{}", ResponseStatus: 200, ResponseBody: "ok"}}}),
		"integrations": IntegrationsView(IntegrationsPage{Page: admin, Shown: shown, Projects: opts,
			Items: []IntegrationRow{{ID: 1, Name: "CI", Kind: "incoming", TokenHint: "hbi_…x", Enabled: true, Usage: []UsageDay{{Day: "2026-11-23", Count: 4}}},
				{ID: 2, Name: "Cron", Kind: "api", TokenHint: "hba_…y", Expired: true, Expires: "2026-01-01"}}}),
		"users": UsersView(UsersPage{Page: admin, Users: []UserRow{{ID: 1, Username: "ann", Roles: roles, IsActive: true},
			{ID: 2, Username: "bob", Name: "Bob", Email: "bob@example.com", Roles: roles, IsActive: true}}, Form: UserForm{Roles: roles}}),
		"user": UserEditView(UserEditPage{Page: admin, ID: 2, Username: "bob", Name: "Bob", Email: "bob@example.com"}),
		"members": MembersView(MembersPage{Page: admin, ProjectID: 1, ProjectName: "Alpha", Roles: roles, Candidates: opts,
			Members: []MemberRow{{UserID: 1, Username: "ann", Roles: roles, IsActive: true}, {UserID: 2, Username: "bob", Name: "Bob", Roles: roles}}}),
		"account": AccountView(AccountPage{Page: admin, Username: "ann", Shown: shown,
			Tokens: []TokenRow{{ID: 1, Name: "Laptop", Hint: "hbp_…z"}, {ID: 2, Name: "CI", Hint: "hbp_…w", Expires: "2027-01-01"}}}),
	}
}

// TestEveryPageLabelledAndWithoutInlineCode: in every page, each form
// control has a label (its own label[for], a wrapping label or an
// aria-label), each label[for] names a form control, ids are unique,
// buttons and links have names, cells of tables that stack on a phone name
// their column, and nothing inline would be blocked by the CSP.
func TestEveryPageLabelledAndWithoutInlineCode(t *testing.T) {
	for name, c := range allViews() {
		doc := render(t, c)
		ids := map[string]bool{}
		doc.Find("[id]").Each(func(_ int, s *goquery.Selection) {
			id := s.AttrOr("id", "")
			if ids[id] {
				t.Errorf("%s: duplicate id %q", name, id)
			}
			ids[id] = true
		})
		doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
			if s.AttrOr("type", "") == "hidden" {
				return
			}
			id := s.AttrOr("id", "")
			labelled := strings.TrimSpace(s.AttrOr("aria-label", "")) != "" ||
				strings.TrimSpace(s.Closest("label").Text()) != "" ||
				(id != "" && strings.TrimSpace(doc.Find(`label[for="`+id+`"]`).Text()) != "")
			if !labelled {
				t.Errorf("%s: %s name=%q has no label", name, goquery.NodeName(s), s.AttrOr("name", ""))
			}
		})
		doc.Find("label[for]").Each(func(_ int, s *goquery.Selection) {
			target := doc.Find("#" + s.AttrOr("for", ""))
			if !target.Is("input, select, textarea, button") {
				t.Errorf("%s: label %q is for no form control", name, s.Text())
			}
		})
		doc.Find("button, a[href]").Each(func(_ int, s *goquery.Selection) {
			if strings.TrimSpace(s.AttrOr("aria-label", s.Text())) == "" {
				t.Errorf("%s: a %s without a name", name, goquery.NodeName(s))
			}
		})
		doc.Find("table.stack tbody tr").Each(func(_ int, row *goquery.Selection) {
			row.Find("td").Each(func(i int, td *goquery.Selection) {
				if _, ok := td.Attr("data-label"); i > 0 && !ok {
					t.Errorf("%s: stacked table cell %d has no data-label", name, i)
				}
			})
		})
		doc.Find("script").Each(func(_ int, s *goquery.Selection) {
			if _, ok := s.Attr("src"); !ok || strings.TrimSpace(s.Text()) != "" {
				t.Errorf("%s: inline script", name)
			}
		})
		doc.Find("*").Each(func(_ int, s *goquery.Selection) {
			for _, a := range s.Nodes[0].Attr {
				if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
					t.Errorf("%s: inline %s attribute on %s", name, a.Key, goquery.NodeName(s))
				}
			}
		})
	}
}
