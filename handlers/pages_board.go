package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"hookboard/store"
	"hookboard/views"
)

// projectsSwitch opens the board chosen in the project switcher.
func (a *App) projectsSwitch(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
	if err != nil || id <= 0 {
		a.errorPage(w, r, http.StatusNotFound, "There is no such project.")
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/projects/%d/board", id), http.StatusSeeOther)
}

// board shows a project's columns × swimlanes with their task cards.
func (a *App) board(w http.ResponseWriter, r *http.Request) {
	project, role, ok := a.pathProject(w, r, store.ProjectViewer)
	if !ok {
		return
	}
	v, err := a.boardView(r, project, r.URL.Query().Get("closed") == "1", r.URL.Query().Get("q"))
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	v.CanEdit, v.CanManage = store.RoleAllows(role, store.ProjectMember), store.RoleAllows(role, store.ProjectManager)
	st := a.popForm(r)
	if v.SearchError == "" || v.Error != "" {
		v.ErrorField, v.NewTitle = st.Field, st.Values.Get("title")
	} else {
		v.Error, v.ErrorField = v.SearchError, "board-search"
	}
	a.render(w, r, http.StatusOK, views.BoardView(v))
}

// boardLink is the board's URL with its search and closed-task choice, so a
// filtered board can be bookmarked and stays filtered after a change.
func boardLink(projectID int64, withClosed bool, query string) string {
	link := fmt.Sprintf("/projects/%d/board", projectID)
	if q := boardQuery(withClosed, query); q != "" {
		link += "?" + q
	}
	return link
}

// boardQuery is the query part of boardLink.
func boardQuery(withClosed bool, query string) string {
	q := url.Values{}
	if withClosed {
		q.Set("closed", "1")
	}
	if query != "" {
		q.Set("q", query)
	}
	return q.Encode()
}

// boardBack is the board a change made on it goes back to: the task's
// project's board, with the search and closed-task choice the form carried
// in board_query (only those two, so the form cannot send anyone elsewhere).
func boardBack(r *http.Request, projectID int64) string {
	q, _ := url.ParseQuery(r.PostForm.Get("board_query"))
	return boardLink(projectID, q.Get("closed") == "1", strings.TrimSpace(q.Get("q")))
}

// boardView builds a project's board. query, in Kanboard's filter language,
// narrows the cards; one the search cannot read leaves them all and says
// why in SearchError.
func (a *App) boardView(r *http.Request, project store.Project, withClosed bool, query string) (views.BoardPage, error) {
	ctx := r.Context()
	projectID := project.ID
	projects, err := a.visibleProjects(r)
	if err != nil {
		return views.BoardPage{}, err
	}
	cols, err := a.store.Columns(ctx, projectID)
	if err != nil {
		return views.BoardPage{}, err
	}
	lanes, err := a.store.Swimlanes(ctx, projectID)
	if err != nil {
		return views.BoardPage{}, err
	}
	status := store.TaskOpen
	if withClosed {
		status = store.TaskAny
	}
	query = strings.TrimSpace(query)
	var filter store.SearchFilter
	var searchErr string
	if err := store.CheckSearch(query, a.now()); err != nil {
		_, searchErr = a.storeFailure(err)
	} else {
		u, _ := currentUser(ctx)
		filter = store.CompileSearch(query, u.ID, a.now())
	}
	tasks, err := a.store.BoardTasks(ctx, projectID, status, filter)
	if err != nil {
		return views.BoardPage{}, err
	}
	openInColumn, err := a.store.OpenTasksPerColumn(ctx, projectID)
	if err != nil {
		return views.BoardPage{}, err
	}

	v := views.BoardPage{
		Page:        a.page(r, project.Name, "board"),
		ProjectID:   project.ID,
		ProjectName: project.Name,
		Colors:      colorOptions(""),
		ShowClosed:  withClosed,
		Query:       query,
		SearchError: searchErr,
		Filtered:    query != "" && searchErr == "",
		Link:        boardLink(projectID, withClosed, query),
		ClosedLink:  boardLink(projectID, !withClosed, query),
		ClearLink:   boardLink(projectID, withClosed, ""),
		BoardQuery:  boardQuery(withClosed, query),
	}
	for _, p := range projects {
		v.Projects = append(v.Projects, views.Option{Value: strconv.FormatInt(p.ID, 10), Label: p.Name, Selected: p.ID == projectID})
	}
	if v.Owners, err = a.ownerOptions(ctx, projectID, 0, ""); err != nil {
		return views.BoardPage{}, err
	}
	colIndex := map[int64]int{}
	for i, c := range cols {
		colIndex[c.ID] = i
		v.Columns = append(v.Columns, views.BoardColumn{ID: c.ID, Title: c.Title})
	}
	laneIndex := map[int64]int{}
	for _, l := range lanes {
		if !l.IsActive {
			continue
		}
		laneIndex[l.ID] = len(v.Lanes)
		lane := views.Lane{ID: l.ID, Name: l.Name}
		for _, c := range cols {
			lane.Cells = append(lane.Cells, views.Cell{ColumnID: c.ID, SwimlaneID: l.ID, Column: c.Title, Limit: c.TaskLimit})
		}
		v.Lanes = append(v.Lanes, lane)
	}
	today := formatDate(a.now().Unix())
	for _, t := range tasks {
		ci, okC := colIndex[t.ColumnID]
		li, okL := laneIndex[t.SwimlaneID]
		if !okC || !okL {
			continue // a task in an inactive swimlane is not on the board
		}
		card := views.Card{
			ID: t.ID, Title: t.Title, ColorID: t.ColorID, Owner: deref(t.AssigneeUsername),
			Category: deref(t.CategoryName), DateDue: formatDate(t.DateDue), Score: t.Score,
			Closed: t.IsActive == 0, SwimlaneID: t.SwimlaneID, Position: t.Position,
			SubtasksDone: t.SubtasksDone, SubtasksTotal: t.SubtasksTotal, Comments: t.Comments, Files: t.Files,
		}
		// Dates compare as YYYY-MM-DD text: due today is not yet overdue.
		card.Overdue = !card.Closed && card.DateDue != "" && card.DateDue < today
		if ci > 0 {
			card.PrevColumnID, card.PrevColumn = cols[ci-1].ID, cols[ci-1].Title
		}
		if ci+1 < len(cols) {
			card.NextColumnID, card.NextColumn = cols[ci+1].ID, cols[ci+1].Title
		}
		v.Lanes[li].Cells[ci].Cards = append(v.Lanes[li].Cells[ci].Cards, card)
		v.Shown++
	}
	for li := range v.Lanes {
		for ci := range v.Lanes[li].Cells {
			c := &v.Lanes[li].Cells[ci]
			c.Open = openInColumn[c.ColumnID]
			c.OverLimit = c.Limit > 0 && c.Open > c.Limit
		}
	}
	meta, err := a.store.ProjectMetadata(ctx, projectID)
	v.Metadata = metadataViews(meta)
	return v, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// createTask adds a task from the board's quick-add form.
func (a *App) createTask(w http.ResponseWriter, r *http.Request) {
	projectID, ok := a.pathID(w, r, "id")
	if !ok || !a.parseForm(w, r) {
		return
	}
	if _, ok := a.allowPage(w, r, projectID, store.ProjectMember); !ok {
		return
	}
	back := fmt.Sprintf("/projects/%d/board", projectID)
	u, _ := currentUser(r.Context())
	nt := store.NewTask{
		ProjectID:   projectID,
		Title:       strings.TrimSpace(r.PostForm.Get("title")),
		Description: r.PostForm.Get("description"),
		ColorID:     r.PostForm.Get("color_id"),
	}
	var err error
	if nt.ColumnID, err = formInt(r, "column_id"); err == nil {
		if nt.SwimlaneID, err = formInt(r, "swimlane_id"); err == nil {
			nt.OwnerID, err = formInt(r, "owner_id")
		}
	}
	var id int64
	var events []string
	if err == nil {
		id, events, err = a.store.CreateTask(r.Context(), actorOf(u), nt)
	}
	if err != nil {
		// Back to the board with the typed title, so it need not be typed again.
		a.formFailure(w, r, err, back, url.Values{"title": {r.PostForm.Get("title")}}, "title", "new-title")
		return
	}
	a.deliver(r.Context(), events)
	a.flash(r, fmt.Sprintf("Task #%d created.", id))
	http.Redirect(w, r, back, http.StatusSeeOther)
}
