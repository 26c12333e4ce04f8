package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"hookboard/store"
	"hookboard/views"
)

// linksView is the task page's links, external links and metadata.
func (a *App) linksView(ctx context.Context, taskID int64) (views.TaskLinks, error) {
	v := views.TaskLinks{TaskID: taskID}
	links, err := a.store.TaskLinks(ctx, taskID)
	if err != nil {
		return v, err
	}
	for _, l := range links {
		v.Links = append(v.Links, views.TaskLinkView{ID: l.ID, Label: l.Label, TaskID: l.TaskID, Title: l.Title,
			ProjectName: l.ProjectName, Column: l.ColumnTitle, Closed: l.IsActive == 0})
	}
	ext, err := a.store.ExternalLinks(ctx, taskID)
	if err != nil {
		return v, err
	}
	for _, e := range ext {
		dep, kind := externalLinkNames(e)
		ev := views.ExternalLinkView{ID: e.ID, Title: e.Title, URL: e.URL, Type: kind, Dependency: dep}
		if strings.HasPrefix(e.URL, "https://") || strings.HasPrefix(e.URL, "http://") {
			ev.Href = e.URL
		}
		v.External = append(v.External, ev)
	}
	meta, err := a.store.TaskMetadata(ctx, taskID)
	if err != nil {
		return v, err
	}
	v.Metadata = metadataViews(meta)
	types, err := a.store.Links(ctx)
	if err != nil {
		return v, err
	}
	for _, l := range types {
		v.LinkTypes = append(v.LinkTypes, views.Option{Value: strconv.FormatInt(l.ID, 10), Label: l.Label})
	}
	for _, t := range store.ExternalLinkTypes {
		v.ExternalTypes = append(v.ExternalTypes, views.Option{Value: t.ID, Label: t.Name})
	}
	return v, nil
}

func metadataViews(list []store.Metadata) []views.MetadataView {
	var out []views.MetadataView
	for _, m := range list {
		out = append(out, views.MetadataView{Name: m.Name, Value: m.Value})
	}
	return out
}

// addTaskLink links the task to another one, named by its number.
func (a *App) addTaskLink(w http.ResponseWriter, r *http.Request) {
	id, ok := a.taskForm(w, r)
	if !ok {
		return
	}
	a.taskChange(w, r, id, "Link added.", func(actor store.Actor) ([]string, error) {
		linkID, err := formInt(r, "link_id")
		if err != nil {
			return nil, err
		}
		other, err := formInt(r, "opposite_task_id")
		if err != nil {
			return nil, err
		}
		// The other task must be one the user may see, as the API checks.
		if otherProject, err := a.store.TaskProjectID(r.Context(), other); err == nil {
			if role, err := a.pageRole(r, otherProject); err != nil || !store.RoleAllows(role, store.ProjectViewer) {
				return nil, &store.InvalidError{Reason: fmt.Sprintf("there is no task #%d", other)}
			}
		}
		_, events, err := a.store.CreateTaskLink(r.Context(), actor, id, other, linkID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, &store.InvalidError{Reason: fmt.Sprintf("there is no task #%d", other)}
		case errors.Is(err, store.ErrConflict):
			return nil, &store.InvalidError{Reason: fmt.Sprintf("this task is linked so to #%d already", other)}
		}
		return events, err
	})
}

// deleteTaskLink removes a link from both its tasks.
func (a *App) deleteTaskLink(w http.ResponseWriter, r *http.Request) {
	a.taskPartChange(w, r, "Link removed.", func(ctx context.Context, id int64) (int64, error) {
		tl, err := a.store.TaskLinkByID(ctx, id)
		return tl.TaskID, err
	}, func(actor store.Actor, id, _ int64) ([]string, error) {
		return a.store.DeleteTaskLink(r.Context(), actor, id)
	})
}

// addExternalLink adds a link to an address outside the board.
func (a *App) addExternalLink(w http.ResponseWriter, r *http.Request) {
	id, ok := a.taskForm(w, r)
	if !ok {
		return
	}
	a.taskChange(w, r, id, "External link added.", func(actor store.Actor) ([]string, error) {
		_, events, err := a.store.CreateExternalLink(r.Context(), actor, store.NewExternalLink{TaskID: id,
			URL: strings.TrimSpace(r.PostForm.Get("url")), Title: strings.TrimSpace(r.PostForm.Get("title")),
			Type: r.PostForm.Get("type"), Dependency: store.ExternalLinkDependencies[0].ID})
		return events, err
	})
}

func (a *App) deleteExternalLink(w http.ResponseWriter, r *http.Request) {
	id, ok := a.taskForm(w, r)
	if !ok {
		return
	}
	linkID, ok := a.pathID(w, r, "link")
	if !ok {
		return
	}
	a.taskChange(w, r, id, "External link removed.", func(actor store.Actor) ([]string, error) {
		return a.store.DeleteExternalLink(r.Context(), actor, id, linkID)
	})
}
