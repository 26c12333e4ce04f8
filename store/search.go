package store

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Kanboard's task filter language (searchTasks, the board's search box):
// "assignee:me status:open due:<tomorrow fix login". One lexer turns a
// query into attribute → values; one compiler turns those into a SQL
// condition on the tasks table aliased t. Both follow Kanboard's
// Core/Filter/Lexer and Filter/Task*Filter, quirks included, except where
// the comments say otherwise.

// searchAttributes are the attribute names, each with the filter it
// selects (synonyms share one). Matched without regard to case.
var searchAttributes = map[string]string{
	"status": "status", "assignee": "assignee", "creator": "creator", "subtask:assignee": "subtask:assignee",
	"category": "category", "color": "color", "colour": "color", "column": "column", "swimlane": "swimlane",
	"project": "project", "description": "description", "desc": "description", "comment": "comment",
	"tag": "tag", "link": "link", "reference": "reference", "ref": "reference", "id": "id",
	"priority": "priority", "score": "score", "complexity": "score", "title": "title", "search": "search",
	"due": "due", "created": "created", "modified": "modified", "updated": "modified", "moved": "moved",
	"started": "started", "completed": "completed",
	"createdrange": "createdRange", "modifiedrange": "modifiedRange", "updatedrange": "modifiedRange",
	"movedrange": "movedRange", "completedrange": "completedRange",
}

// attributeNames are searchAttributes' keys, longest first, so that
// "subtask:assignee:" is tried before "subtask" could be.
var attributeNames = func() []string {
	names := make([]string, 0, len(searchAttributes))
	for n := range searchAttributes {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) })
	return names
}()

// The value tokens, tried in order after attributes and white space
// (Kanboard's Lexer::$tokenMap).
var valueTokens = []*regexp.Regexp{
	regexp.MustCompile(`^[<=>]{0,2}[0-9]{4}-[0-9]{2}-[0-9]{2}`),
	regexp.MustCompile(`^[<=>]{1,2}[\pL\pN_]+`),
	regexp.MustCompile(`^[<=>]{1,2}".+"`),
	regexp.MustCompile(`^"[^"\n]+?"`),
	regexp.MustCompile(`^\S+`),
}

// searchToken is one token of a query: an attribute (its filter name) or
// text (a value or free text; white space is text too).
type searchToken struct {
	attr string
	text string
	// space marks white space, which is never an attribute's value.
	space bool
}

// lexSearch splits a query into tokens. Double quotes are removed from
// every text token, as Kanboard does.
func lexSearch(query string) []searchToken {
	var out []searchToken
	for rest := query; rest != ""; {
		if attr, n := matchAttribute(rest); n > 0 {
			out = append(out, searchToken{attr: attr})
			rest = rest[n:]
			continue
		}
		if n := len(rest) - len(strings.TrimLeftFunc(rest, unicode.IsSpace)); n > 0 {
			out = append(out, searchToken{text: rest[:n], space: true})
			rest = rest[n:]
			continue
		}
		for _, re := range valueTokens {
			if loc := re.FindStringIndex(rest); loc != nil {
				out = append(out, searchToken{text: strings.ReplaceAll(rest[:loc[1]], `"`, "")})
				rest = rest[loc[1]:]
				break
			}
		}
	}
	return out
}

// matchAttribute reports the attribute s starts with ("status:"), and the
// length of it with its colon.
func matchAttribute(s string) (string, int) {
	for _, name := range attributeNames {
		if len(s) > len(name) && s[len(name)] == ':' && strings.EqualFold(s[:len(name)], name) {
			return searchAttributes[name], len(name) + 1
		}
	}
	return "", 0
}

// parsedSearch is a query read: each attribute's values in order, and the
// free text.
type parsedSearch struct {
	values map[string][]string
	order  []string // attributes in the order first given
	free   string
}

// parseSearch maps tokens as Kanboard's Lexer::map does: an attribute
// takes the token right after it as its value when that is not white
// space, and swallows it either way ("status: open" drops the attribute
// and the space, and "open" is free text). Every other token, white space
// included, joins the free text.
func parseSearch(query string) parsedSearch {
	toks := lexSearch(query)
	p := parsedSearch{values: map[string][]string{}}
	var free strings.Builder
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		if tok.attr == "" {
			free.WriteString(tok.text)
			continue
		}
		i++
		if i < len(toks) && toks[i].attr == "" && !toks[i].space {
			if _, seen := p.values[tok.attr]; !seen {
				p.order = append(p.order, tok.attr)
			}
			p.values[tok.attr] = append(p.values[tok.attr], toks[i].text)
		}
	}
	p.free = strings.TrimSpace(free.String())
	return p
}

// SearchFilter is a compiled query: a condition on the tasks table t (and
// only on it, through subqueries) with its arguments.
type SearchFilter struct {
	Where string
	Args  []any
}

// CompileSearch turns a query in Kanboard's filter language into a SQL
// condition on tasks aliased t. me is the caller's user id (0 for an
// application, so that "assignee:me" means nobody, as in Kanboard); now
// anchors relative dates ("today", "-2 days") in UTC. An empty query is
// "1 = 1" (every task).
func CompileSearch(query string, me int64, now time.Time) SearchFilter {
	p := parseSearch(query)
	if p.free != "" {
		// Free text replaces any title: given, as in Kanboard.
		if _, seen := p.values["title"]; !seen {
			p.order = append(p.order, "title")
		}
		p.values["title"] = []string{p.free}
	}
	var conds []string
	var args []any
	for _, attr := range p.order {
		var ors []string
		for _, v := range p.values[attr] {
			c, a := compileFilter(attr, v, me, now)
			if c == "" {
				continue
			}
			if !storable(a) {
				c, a = "1 = 0", nil
			}
			ors = append(ors, c)
			args = append(args, a...)
		}
		if len(ors) > 0 {
			conds = append(conds, "("+strings.Join(ors, " OR ")+")")
		}
	}
	if len(conds) == 0 {
		return SearchFilter{Where: "1 = 1"}
	}
	return SearchFilter{Where: strings.Join(conds, " AND "), Args: args}
}

// storable tells whether every text of args could be stored: a value with
// NUL or bytes that are not UTF-8 is in no row (ValidateText refuses it),
// so it matches nothing, and PostgreSQL refuses it as a parameter.
func storable(args []any) bool {
	for _, a := range args {
		if v, ok := a.(string); ok && (!utf8.ValidString(v) || strings.ContainsRune(v, 0)) {
			return false
		}
	}
	return true
}

// taskIDValue reads "12" or "#12" as a task id.
func taskIDValue(v string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(v, "#"), 10, 64)
	return n, err == nil && n >= 0 && v != "#" && !strings.HasPrefix(v, "+") && !strings.HasPrefix(v, "-")
}

// atoi reads digits; too many of them is -1, which no id is.
func atoi(v string) int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

func isDigits(v string) bool {
	return v != "" && strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

// contains is v as a LIKE pattern for "contains". Like Kanboard, % and _ in
// v stay wildcards; the match ignores case (lower() on both sides: SQLite's
// LIKE ignores ASCII case, PostgreSQL's does not).
func contains(v string) string { return "%" + v + "%" }

// compileFilter is the condition of one attribute's value ("" for none).
func compileFilter(attr, v string, me int64, now time.Time) (string, []any) {
	switch attr {
	case "title":
		if n, ok := taskIDValue(v); ok {
			return "(t.id = ? OR lower(t.title) LIKE lower(?))", []any{n, contains(v)}
		}
		return "lower(t.title) LIKE lower(?)", []any{contains(v)}
	case "search":
		c := "lower(t.title) LIKE lower(?) OR lower(t.description) LIKE lower(?) OR EXISTS (SELECT 1 FROM comments cm WHERE cm.task_id = t.id AND lower(cm.comment) LIKE lower(?))"
		a := []any{contains(v), contains(v), contains(v)}
		if n, ok := taskIDValue(v); ok {
			return "(t.id = ? OR " + c + ")", append([]any{n}, a...)
		}
		return "(" + c + ")", a
	case "status":
		switch {
		case strings.EqualFold(v, "open"):
			return "t.is_active = 1", nil
		case strings.EqualFold(v, "closed"):
			return "t.is_active = 0", nil
		case isDigits(v):
			return "t.is_active = ?", []any{atoi(v)}
		}
		return "", nil
	case "assignee":
		return userFilter("COALESCE(t.owner_id, 0)", "t.owner_id", v, me, false)
	case "creator":
		return userFilter("COALESCE(t.creator_id, 0)", "t.creator_id", v, me, false)
	case "subtask:assignee":
		c, a := userFilter("COALESCE(st.user_id, 0)", "st.user_id", v, me, true)
		return "EXISTS (SELECT 1 FROM subtasks st WHERE st.task_id = t.id AND st.status != 2 AND " + c + ")", a
	case "category":
		switch {
		case strings.EqualFold(v, "none"):
			return "t.category_id IS NULL", nil
		case isDigits(v):
			return "(COALESCE(t.category_id, 0) = ? OR EXISTS (SELECT 1 FROM categories c WHERE c.id = t.category_id AND lower(c.name) = lower(?)))", []any{atoi(v), v}
		}
		return "EXISTS (SELECT 1 FROM categories c WHERE c.id = t.category_id AND lower(c.name) = lower(?))", []any{v}
	case "color":
		return "t.color_id = ?", []any{colorFromName(v)}
	case "column":
		if isDigits(v) {
			return "t.column_id = ?", []any{atoi(v)}
		}
		return "EXISTS (SELECT 1 FROM columns c WHERE c.id = t.column_id AND c.title = ?)", []any{v}
	case "swimlane":
		return "EXISTS (SELECT 1 FROM swimlanes s WHERE s.id = t.swimlane_id AND lower(s.name) LIKE lower(?))", []any{v}
	case "project":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && isDigits(v) && n < 2147483647 {
			return "t.project_id = ?", []any{n}
		}
		return "EXISTS (SELECT 1 FROM projects pr WHERE pr.id = t.project_id AND lower(pr.name) LIKE lower(?))", []any{v}
	case "description":
		return "lower(t.description) LIKE lower(?)", []any{contains(v)}
	case "comment":
		return "EXISTS (SELECT 1 FROM comments cm WHERE cm.task_id = t.id AND lower(cm.comment) LIKE lower(?))", []any{contains(v)}
	case "tag":
		if strings.EqualFold(v, "none") {
			return "NOT EXISTS (SELECT 1 FROM task_tags tt WHERE tt.task_id = t.id)", nil
		}
		return "EXISTS (SELECT 1 FROM task_tags tt JOIN tags tg ON tg.id = tt.tag_id WHERE tt.task_id = t.id AND lower(tg.name) LIKE lower(?))", []any{contains(v)}
	case "link":
		// A task with a link of that label, as Kanboard's TaskLinkFilter.
		return "EXISTS (SELECT 1 FROM task_links tl JOIN links l ON l.id = tl.link_id WHERE tl.task_id = t.id AND lower(l.label) LIKE lower(?))", []any{v}
	case "reference":
		if strings.EqualFold(v, "none") {
			return "t.reference = ''", nil
		}
		return "lower(t.reference) LIKE lower(?)", []any{strings.ReplaceAll(v, "*", "%")}
	case "id":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "1 = 0", nil
		}
		return "t.id = ?", []any{n}
	case "priority":
		return numberFilter("t.priority", v)
	case "score":
		return numberFilter("t.score", v)
	case "due":
		if strings.EqualFold(v, "none") {
			return "t.date_due = 0", nil
		}
		c, a := dateFilter("t.date_due", v, now)
		return "(t.date_due != 0 AND " + c + ")", a
	case "created":
		return dateFilter("t.created_at", v, now)
	case "modified":
		return dateFilter("t.modified_at", v, now)
	case "moved":
		return dateFilter("t.moved_at", v, now)
	case "started":
		return dateFilter("t.date_started", v, now)
	case "completed":
		return dateFilter("t.completed_at", v, now)
	case "createdRange":
		return rangeFilter("t.created_at", v)
	case "modifiedRange":
		return rangeFilter("t.modified_at", v)
	case "movedRange":
		return rangeFilter("t.moved_at", v)
	case "completedRange":
		return rangeFilter("t.completed_at", v)
	}
	return "", nil
}

// userFilter matches a user reference (owner, creator, a subtask's user):
// an id, me, nobody, anybody, or text in the username or name. For
// subtasks the username must start with the text (Kanboard's
// SubtaskAssignee filter); elsewhere it may hold it anywhere.
func userFilter(idExpr, col, v string, me int64, prefix bool) (string, []any) {
	switch {
	case isDigits(v):
		return idExpr + " = ?", []any{atoi(v)}
	case strings.EqualFold(v, "me"):
		return idExpr + " = ?", []any{me}
	case strings.EqualFold(v, "nobody"):
		return idExpr + " = 0", nil
	case strings.EqualFold(v, "anybody"):
		return idExpr + " > 0", nil
	}
	username := contains(v)
	if prefix {
		username = v + "%"
	}
	return "EXISTS (SELECT 1 FROM users u WHERE u.id = " + col + " AND (lower(u.username) LIKE lower(?) OR lower(u.name) LIKE lower(?)))",
		[]any{username, contains(v)}
}

// colorFromName reads a color by id or English name, without regard to
// case ("blue", "Deep Orange", "deep_orange"); an unknown one matches no
// task.
func colorFromName(v string) string {
	for _, c := range Colors {
		if strings.EqualFold(v, c.ID) || strings.EqualFold(v, c.Name) {
			return c.ID
		}
	}
	return ""
}

// splitOperator takes a leading <=, >=, < or > off v.
func splitOperator(v string) (op, rest string) {
	for _, op := range []string{"<=", ">=", "<", ">"} {
		if strings.HasPrefix(v, op) {
			return op, v[len(op):]
		}
	}
	return "", v
}

// numberFilter compares a number column: "5", "<5", ">=5". A value that is
// not a number compares with 0, as PHP's cast does.
func numberFilter(col, v string) (string, []any) {
	op, rest := splitOperator(v)
	if op == "" {
		op = "="
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
	return col + " " + op + " ?", []any{n}
}

// dateFilter compares a date column with a day (Kanboard's BaseDateFilter):
// that whole day without an operator; "<" before it, "<=" up to its end,
// ">=" from its start, ">" from the day after its end, as Kanboard has it.
func dateFilter(col, v string, now time.Time) (string, []any) {
	op, rest := splitOperator(v)
	d := searchDay(rest, now)
	switch op {
	case "<":
		return col + " < ?", []any{d}
	case "<=":
		return col + " <= ?", []any{d + 86399}
	case ">=":
		return col + " >= ?", []any{d}
	case ">":
		return col + " > ?", []any{d + 86400}
	}
	return col + " BETWEEN ? AND ?", []any{d, d + 86399}
}

// rangeFilter matches "from..to", both days included; an unreadable day is
// 1970-01-01, and anything but two parts is no condition.
func rangeFilter(col, v string) (string, []any) {
	parts := strings.Split(v, "..")
	if len(parts) != 2 {
		return "", nil
	}
	from, to := rangeDay(parts[0]), rangeDay(parts[1])
	return col + " BETWEEN ? AND ?", []any{from, to + 86399}
}

// rangeDay reads one end of a range as the date forms of ParseDate that
// are days (not unix seconds).
func rangeDay(s string) int64 {
	if isDigits(strings.TrimSpace(s)) {
		return 0
	}
	t, err := ParseDate(s)
	if err != nil {
		return 0
	}
	return midnight(time.Unix(t, 0))
}

func midnight(t time.Time) int64 {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()
}

var (
	relativeOffset = regexp.MustCompile(`^([+-]?\d+)\s*(day|week|month|year)s?(\s+ago)?$`)
	weekdays       = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
		"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}
)

// searchDay reads the day a date filter names, as the midnight (UTC) that
// starts it: unix seconds, a date ParseDate reads, or the relative words of
// PHP's strtotime that people type (today, tomorrow, yesterday, now,
// "next monday", "last friday", "monday", "+2 days", "-1 week", "3 days
// ago"). Anything else is 1970-01-01, as strtotime's failure is in Kanboard.
func searchDay(v string, now time.Time) int64 {
	d, _ := readSearchDay(v, now)
	return d
}

// readSearchDay is searchDay that also says whether it could read v.
func readSearchDay(v string, now time.Time) (int64, bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	if isDigits(v) {
		n, _ := strconv.ParseInt(v, 10, 64)
		return midnight(time.Unix(n, 0)), true
	}
	if t, err := ParseDate(v); err == nil {
		return midnight(time.Unix(t, 0)), true
	}
	now = now.UTC()
	switch v {
	case "today", "now", "midnight":
		return midnight(now), true
	case "tomorrow":
		return midnight(now.AddDate(0, 0, 1)), true
	case "yesterday":
		return midnight(now.AddDate(0, 0, -1)), true
	}
	if m := relativeOffset.FindStringSubmatch(v); m != nil {
		n, _ := strconv.Atoi(m[1])
		if m[3] != "" {
			n = -n
		}
		switch m[2] {
		case "day":
			return midnight(now.AddDate(0, 0, n)), true
		case "week":
			return midnight(now.AddDate(0, 0, 7*n)), true
		case "month":
			return midnight(now.AddDate(0, n, 0)), true
		case "year":
			return midnight(now.AddDate(n, 0, 0)), true
		}
	}
	which, day, found := strings.Cut(v, " ")
	if !found {
		which, day = "this", v
	}
	if wd, ok := weekdays[day]; ok {
		diff := (int(wd) - int(now.Weekday()) + 7) % 7
		switch which {
		case "next":
			if diff == 0 {
				diff = 7
			}
		case "last":
			diff -= 7
			if diff == 0 {
				diff = -7
			}
		case "this":
		default:
			return 0, false
		}
		return midnight(now.AddDate(0, 0, diff)), true
	}
	return 0, false
}

// SearchTasks runs a query in Kanboard's filter language over one project's
// tasks (searchTasks; the board's search box) and answers Kanboard's
// extended rows, open and closed unless the query says status:, by id.
// me is the caller's user id, 0 for an application.
func (s *Store) SearchTasks(ctx context.Context, projectID int64, query string, me int64) ([]ExtendedTaskRow, error) {
	q, args := s.searchQuery(projectID, query, me)
	out, err := listRows(ctx, s.reader, []ExtendedTaskRow{}, scanExtendedTaskRow, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: search tasks: %w", err)
	}
	return out, nil
}

// searchQuery is SearchTasks' statement: the project's tasks, found through
// the tasks_cell index, that match query.
func (s *Store) searchQuery(projectID int64, query string, me int64) (string, []any) {
	f := CompileSearch(query, me, s.now())
	return extendedTaskSelect + ` WHERE t.project_id = ? AND (` + f.Where + `) ORDER BY t.id`, append([]any{projectID}, f.Args...)
}

// MaxSearchLength bounds a query typed in the board's search box, which
// keeps its SQL condition small.
const MaxSearchLength = 1000

// dateAttributes are the filters whose value is a day.
var dateAttributes = map[string]bool{"due": true, "created": true, "modified": true, "moved": true, "started": true, "completed": true}

// CheckSearch says, in words for the person who typed it, why the board's
// search box will not run query: it is too long or not text, or a value
// cannot be read by its attribute (a day, a range, a status, a number).
// The API keeps Kanboard's leniency (an unreadable day is 1970-01-01, an
// unknown status is no condition); a person is better served by being told.
func CheckSearch(query string, now time.Time) error {
	if err := ValidateText("the search", query, false); err != nil {
		return err
	}
	if utf8.RuneCountInString(query) > MaxSearchLength {
		return invalid("the search is longer than %d characters", MaxSearchLength)
	}
	p := parseSearch(query)
	for _, attr := range p.order {
		for _, v := range p.values[attr] {
			if err := checkSearchValue(attr, v, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkSearchValue is CheckSearch for one attribute's value.
func checkSearchValue(attr, v string, now time.Time) error {
	switch {
	case attr == "status":
		if !strings.EqualFold(v, "open") && !strings.EqualFold(v, "closed") && v != "0" && v != "1" {
			return invalid("%q is not a status: write status:open or status:closed", "status:"+v)
		}
	case attr == "due" && strings.EqualFold(v, "none"):
	case dateAttributes[attr]:
		if _, rest := splitOperator(v); !readableDay(rest, now) {
			return invalid("in %q, %q is not a day the search can read: write 2030-01-31, today, tomorrow, monday, \"+2 days\" or \"3 days ago\", with <, <=, > or >= before it if you like", attr+":"+v, rest)
		}
	case strings.HasSuffix(attr, "Range"):
		parts := strings.Split(v, "..")
		if len(parts) != 2 || isDigits(strings.TrimSpace(parts[0])) || isDigits(strings.TrimSpace(parts[1])) || !readableDate(parts[0]) || !readableDate(parts[1]) {
			return invalid("%q is not a range of two days: write %s:\"2030-01-01..2030-01-31\"", attr+":"+v, attr)
		}
	case attr == "id":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return invalid("%q is not a task number: write id:12", "id:"+v)
		}
	case attr == "priority" || attr == "score":
		if _, rest := splitOperator(v); !isDigits(strings.TrimSpace(strings.TrimPrefix(rest, "-"))) {
			return invalid("%q is not a number: write %s:3 or %s:>=2", attr+":"+v, attr, attr)
		}
	}
	return nil
}

func readableDay(v string, now time.Time) bool {
	_, ok := readSearchDay(v, now)
	return ok
}

func readableDate(v string) bool {
	_, err := ParseDate(v)
	return err == nil
}
