package handlers

import (
	"errors"

	"hookboard/store"
)

// Kanboard's LinkProcedure, TaskLinkProcedure, TaskExternalLinkProcedure,
// TaskMetadataProcedure and ProjectMetadataProcedure.

// seesTask is Kanboard's check of the other task of a link: a user may
// link only to a task of a project they may use. false, not 403, when not.
func (c *rpcCall) seesTask(taskID int64) (bool, error) {
	if c.caller.isApp() {
		return true, nil
	}
	err := c.taskProject(taskID)
	if errors.Is(err, errForbidden) {
		return false, nil
	}
	return err == nil, err
}

// --- Link types (admins and the app token) ---

type linkParams struct {
	LinkID int64 `rpc:"link_id,required"`
}

func procGetLinkByID(c *rpcCall, p linkParams) (any, error) {
	return c.found(c.a.store.LinkByID(c.ctx(), p.LinkID))
}

type linkLabelParams struct {
	Label string `rpc:"label,required"`
}

func procGetLinkByLabel(c *rpcCall, p linkLabelParams) (any, error) {
	return c.found(c.a.store.LinkByLabel(c.ctx(), p.Label))
}

func procGetOppositeLinkID(c *rpcCall, p linkParams) (any, error) {
	return c.a.store.OppositeLinkID(c.ctx(), p.LinkID)
}

func procGetAllLinks(c *rpcCall, _ noParams) (any, error) {
	return c.a.store.Links(c.ctx())
}

type createLinkParams struct {
	Label         string `rpc:"label,required"`
	OppositeLabel string `rpc:"opposite_label"`
}

func procCreateLink(c *rpcCall, p createLinkParams) (any, error) {
	id, err := c.a.store.CreateLink(c.ctx(), p.Label, p.OppositeLabel)
	return c.written(id, nil, err)
}

type updateLinkParams struct {
	LinkID         int64  `rpc:"link_id,required"`
	OppositeLinkID int64  `rpc:"opposite_link_id,required"`
	Label          string `rpc:"label,required"`
}

func procUpdateLink(c *rpcCall, p updateLinkParams) (any, error) {
	return c.written(true, nil, c.a.store.UpdateLink(c.ctx(), p.LinkID, p.OppositeLinkID, p.Label))
}

func procRemoveLink(c *rpcCall, p linkParams) (any, error) {
	events, err := c.a.store.DeleteLink(c.ctx(), c.caller.actor(), p.LinkID)
	return c.written(true, events, err)
}

// --- Links between tasks ---

type taskLinkParams struct {
	TaskLinkID int64 `rpc:"task_link_id,required"`
}

func procGetTaskLinkByID(c *rpcCall, p taskLinkParams) (any, error) {
	tl, err := c.a.store.TaskLinkByID(c.ctx(), p.TaskLinkID)
	if err := c.taskOwnedBy(tl.TaskID, err); err != nil {
		return c.fail(err, nil)
	}
	return tl, nil
}

func procGetAllTaskLinks(c *rpcCall, p taskParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	return c.a.store.TaskLinks(c.ctx(), p.TaskID)
}

type createTaskLinkParams struct {
	TaskID         int64 `rpc:"task_id,required"`
	OppositeTaskID int64 `rpc:"opposite_task_id,required"`
	LinkID         int64 `rpc:"link_id,required"`
}

func procCreateTaskLink(c *rpcCall, p createTaskLinkParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	if ok, err := c.seesTask(p.OppositeTaskID); err != nil || !ok {
		return false, err
	}
	id, events, err := c.a.store.CreateTaskLink(c.ctx(), c.caller.actor(), p.TaskID, p.OppositeTaskID, p.LinkID)
	return c.written(id, events, err)
}

type updateTaskLinkParams struct {
	TaskLinkID     int64 `rpc:"task_link_id,required"`
	TaskID         int64 `rpc:"task_id,required"`
	OppositeTaskID int64 `rpc:"opposite_task_id,required"`
	LinkID         int64 `rpc:"link_id,required"`
}

func procUpdateTaskLink(c *rpcCall, p updateTaskLinkParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	if ok, err := c.seesTask(p.OppositeTaskID); err != nil || !ok {
		return false, err
	}
	events, err := c.a.store.UpdateTaskLink(c.ctx(), c.caller.actor(), p.TaskLinkID, p.TaskID, p.OppositeTaskID, p.LinkID)
	return c.written(true, events, err)
}

func procRemoveTaskLink(c *rpcCall, p taskLinkParams) (any, error) {
	if err := c.partProject(p.TaskLinkID, c.a.taskLinkTask); err != nil {
		return nil, err
	}
	events, err := c.a.store.DeleteTaskLink(c.ctx(), c.caller.actor(), p.TaskLinkID)
	return c.written(true, events, err)
}

// --- External links ---

func procGetExternalTaskLinkTypes(*rpcCall, noParams) (any, error) {
	o := jsonObject{}
	for _, t := range store.ExternalLinkTypes {
		o = append(o, jsonMember{t.ID, t.Name})
	}
	return o, nil
}

// dependencies is a provider's dependencies, as an object.
func dependencies() jsonObject {
	o := jsonObject{}
	for _, d := range store.ExternalLinkDependencies {
		o = append(o, jsonMember{d.ID, d.Name})
	}
	return o
}

type providerParams struct {
	ProviderName string `rpc:"providerName,required"`
}

func procGetExternalTaskLinkProviderDependencies(_ *rpcCall, p providerParams) (any, error) {
	switch p.ProviderName {
	case store.ExternalLinkAttachment, store.ExternalLinkFile, store.ExternalLinkWeb:
		return dependencies(), nil
	}
	return false, nil
}

type externalLinkParams struct {
	TaskID int64 `rpc:"task_id,required"`
	LinkID int64 `rpc:"link_id,required"`
}

func procGetExternalTaskLinkByID(c *rpcCall, p externalLinkParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	e, err := c.a.store.ExternalLink(c.ctx(), p.TaskID, p.LinkID)
	if err != nil {
		return c.fail(err, false)
	}
	return e, nil
}

// externalLinkRow is getAllExternalTaskLinks' row: the link with its
// creator's names and the names of its dependency and kind.
type externalLinkRow struct {
	store.ExternalLink
	CreatorName     *string `json:"creator_name"`
	CreatorUsername *string `json:"creator_username"`
	DependencyLabel string  `json:"dependency_label"`
	Type            string  `json:"type"`
}

// externalLinkNames are the names of an external link's dependency and kind.
func externalLinkNames(e store.ExternalLink) (dependency, kind string) {
	dependency, kind = e.Dependency, "Unknown"
	for _, d := range store.ExternalLinkDependencies {
		if d.ID == e.Dependency {
			dependency = d.Name
		}
	}
	for _, t := range store.ExternalLinkTypes {
		if t.ID == e.LinkType {
			kind = t.Name
		}
	}
	return dependency, kind
}

func procGetAllExternalTaskLinks(c *rpcCall, p taskParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	links, err := c.a.store.ExternalLinks(c.ctx(), p.TaskID)
	if err != nil {
		return nil, err
	}
	out := make([]externalLinkRow, 0, len(links))
	for _, e := range links {
		dep, kind := externalLinkNames(e)
		out = append(out, externalLinkRow{e, e.CreatorName, e.CreatorUsername, dep, kind})
	}
	return out, nil
}

type createExternalLinkParams struct {
	TaskID     int64  `rpc:"task_id,required"`
	URL        string `rpc:"url,required"`
	Dependency string `rpc:"dependency,required"`
	Type       string `rpc:"type"`
	Title      string `rpc:"title"`
}

func procCreateExternalTaskLink(c *rpcCall, p createExternalLinkParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	id, events, err := c.a.store.CreateExternalLink(c.ctx(), c.caller.actor(), store.NewExternalLink{
		TaskID: p.TaskID, URL: p.URL, Dependency: p.Dependency, Type: p.Type, Title: p.Title})
	return c.written(id, events, err)
}

type updateExternalLinkParams struct {
	TaskID     int64   `rpc:"task_id,required"`
	LinkID     int64   `rpc:"link_id,required"`
	Title      *string `rpc:"title"`
	URL        *string `rpc:"url"`
	Dependency *string `rpc:"dependency"`
}

func procUpdateExternalTaskLink(c *rpcCall, p updateExternalLinkParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	events, err := c.a.store.UpdateExternalLink(c.ctx(), c.caller.actor(), p.TaskID, p.LinkID,
		store.ExternalLinkUpdate{Title: p.Title, URL: p.URL, Dependency: p.Dependency})
	return c.written(true, events, err)
}

func procRemoveExternalTaskLink(c *rpcCall, p externalLinkParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	events, err := c.a.store.DeleteExternalLink(c.ctx(), c.caller.actor(), p.TaskID, p.LinkID)
	return c.written(true, events, err)
}

// --- Metadata ---

// metadataObject is Kanboard's {name: value} by name.
func metadataObject(list []store.Metadata, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	o := jsonObject{}
	for _, m := range list {
		o = append(o, jsonMember{m.Name, m.Value})
	}
	return o, nil
}

// metadataValue is a value by name, "" when there is none.
func (c *rpcCall) metadataValue(v string, err error) (any, error) {
	if err != nil {
		return c.fail(err, "")
	}
	return v, nil
}

type metadataNameParams struct {
	TaskID int64  `rpc:"task_id,required"`
	Name   string `rpc:"name,required"`
}

type saveTaskMetadataParams struct {
	TaskID int64     `rpc:"task_id,required"`
	Values rpcValues `rpc:"values,required"`
}

func procGetTaskMetadata(c *rpcCall, p taskParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	return metadataObject(c.a.store.TaskMetadata(c.ctx(), p.TaskID))
}

func procGetTaskMetadataByName(c *rpcCall, p metadataNameParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	return c.metadataValue(c.a.store.TaskMetadataValue(c.ctx(), p.TaskID, p.Name))
}

func procSaveTaskMetadata(c *rpcCall, p saveTaskMetadataParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	return c.written(true, nil, c.a.store.SaveTaskMetadata(c.ctx(), c.caller.actor(), p.TaskID, p.Values))
}

func procRemoveTaskMetadata(c *rpcCall, p metadataNameParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	return c.written(true, nil, c.a.store.DeleteTaskMetadata(c.ctx(), p.TaskID, p.Name))
}

type projectMetadataNameParams struct {
	ProjectID int64  `rpc:"project_id,required"`
	Name      string `rpc:"name,required"`
}

type saveProjectMetadataParams struct {
	ProjectID int64     `rpc:"project_id,required"`
	Values    rpcValues `rpc:"values,required"`
}

func procGetProjectMetadata(c *rpcCall, p projectParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	return metadataObject(c.a.store.ProjectMetadata(c.ctx(), p.ProjectID))
}

func procGetProjectMetadataByName(c *rpcCall, p projectMetadataNameParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	return c.metadataValue(c.a.store.ProjectMetadataValue(c.ctx(), p.ProjectID, p.Name))
}

func procSaveProjectMetadata(c *rpcCall, p saveProjectMetadataParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	return c.written(true, nil, c.a.store.SaveProjectMetadata(c.ctx(), c.caller.actor(), p.ProjectID, p.Values))
}

func procRemoveProjectMetadata(c *rpcCall, p projectMetadataNameParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	return c.written(true, nil, c.a.store.DeleteProjectMetadata(c.ctx(), p.ProjectID, p.Name))
}
