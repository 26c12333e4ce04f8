package handlers

import (
	"encoding/base64"
	"strings"

	"hookboard/store"
)

// Kanboard's ProjectFileProcedure and SubtaskTimeTrackingProcedure
// (reference §1). Project files follow the rules of task files
// (store.prepareFile); a file named with another project is not found.

type projectFileParams struct {
	ProjectID int64 `rpc:"project_id,required"`
	FileID    int64 `rpc:"file_id,required"`
}

func procGetProjectFile(c *rpcCall, p projectFileParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	f, _, err := c.a.store.ProjectFileData(c.ctx(), p.ProjectID, p.FileID)
	if err != nil {
		return c.fail(err, false)
	}
	return f, nil
}

func procGetAllProjectFiles(c *rpcCall, p projectParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	files, err := c.a.store.ProjectFiles(c.ctx(), p.ProjectID)
	if err != nil {
		return c.fail(err, []any{})
	}
	out := make([]store.ProjectFileListed, 0, len(files))
	for _, f := range files {
		out = append(out, store.ProjectFileListed(f))
	}
	return out, nil
}

func procDownloadProjectFile(c *rpcCall, p projectFileParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	_, data, err := c.a.store.ProjectFileData(c.ctx(), p.ProjectID, p.FileID)
	if err != nil {
		return c.fail(err, "")
	}
	// encoding/json writes a byte slice as standard base64 (nil as null).
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

type createProjectFileParams struct {
	ProjectID int64  `rpc:"project_id,required"`
	Filename  string `rpc:"filename,required"`
	Blob      string `rpc:"blob,required"` // base64
}

func procCreateProjectFile(c *rpcCall, p createProjectFileParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(p.Blob))
	if err != nil || len(data) == 0 {
		// Kanboard refuses a blob that decodes to nothing.
		return false, nil
	}
	id, events, err := c.a.store.CreateProjectFile(c.ctx(), c.caller.actor(), p.ProjectID, p.Filename, "", data, c.a.cfg.MaxFileBytes)
	return c.written(id, events, err)
}

func procRemoveProjectFile(c *rpcCall, p projectFileParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	events, err := c.a.store.DeleteProjectFile(c.ctx(), c.caller.actor(), p.ProjectID, p.FileID)
	return c.written(true, events, err)
}

func procRemoveAllProjectFiles(c *rpcCall, p projectParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	events, err := c.a.store.DeleteAllProjectFiles(c.ctx(), c.caller.actor(), p.ProjectID)
	return c.written(true, events, err)
}

type subtaskTimerParams struct {
	SubtaskID int64 `rpc:"subtask_id,required"`
	UserID    int64 `rpc:"user_id,required"`
}

// otherUser says whether a user calls for someone else's timer, which
// Kanboard answers with false. The app token may name any user.
func (c *rpcCall) otherUser(userID int64) bool {
	return !c.caller.isApp() && c.caller.user.ID != userID
}

func procHasSubtaskTimer(c *rpcCall, p subtaskTimerParams) (any, error) {
	if err := c.partProject(p.SubtaskID, c.a.subtaskTask); err != nil {
		return nil, err
	}
	ok, err := c.a.store.HasSubtaskTimer(c.ctx(), p.SubtaskID, p.UserID)
	if err != nil {
		return c.fail(err, false)
	}
	return ok, nil
}

func procSetSubtaskStartTime(c *rpcCall, p subtaskTimerParams) (any, error) {
	if err := c.partProject(p.SubtaskID, c.a.subtaskTask); err != nil {
		return nil, err
	}
	if c.otherUser(p.UserID) {
		return false, nil
	}
	err := c.a.store.StartSubtaskTimer(c.ctx(), p.SubtaskID, p.UserID)
	return c.written(true, nil, err)
}

func procSetSubtaskEndTime(c *rpcCall, p subtaskTimerParams) (any, error) {
	if err := c.partProject(p.SubtaskID, c.a.subtaskTask); err != nil {
		return nil, err
	}
	if c.otherUser(p.UserID) {
		return false, nil
	}
	events, err := c.a.store.StopSubtaskTimer(c.ctx(), c.caller.actor(), p.SubtaskID, p.UserID)
	return c.written(true, events, err)
}

func procGetSubtaskTimeSpent(c *rpcCall, p subtaskTimerParams) (any, error) {
	if err := c.partProject(p.SubtaskID, c.a.subtaskTask); err != nil {
		return nil, err
	}
	hours, err := c.a.store.SubtaskTimerHours(c.ctx(), p.SubtaskID, p.UserID)
	if err != nil {
		return c.fail(err, 0)
	}
	return hours, nil
}
