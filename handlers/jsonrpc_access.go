package handlers

import (
	"context"
	"errors"
	"strings"

	"hookboard/store"
)

// Who may call what: Kanboard's three checks (reference §0.1), in one
// place. A procedure never decides this itself; it only names the projects
// it acts on with c.userProject or c.project, or the rows it acts on with
// c.ownedBy, c.taskProject or c.partProject.
//
//  1. The Me procedures need a user: the app token gets 403.
//  2. A user's app role: the user, group and link procedures, getAllProjects
//     and getOverdueTasks are for app-admins; createProject for app-managers
//     and app-admins. The app token passes.
//  3. For users only, the role in each project a procedure names: manager,
//     member or viewer as rpcAccessTable says. No role (an unknown project
//     included) is 403, for admins too: Kanboard gives them no bypass.

// rpcAccess is who may call one procedure.
type rpcAccess struct {
	usersOnly bool   // the app token is refused
	appRole   string // the least app role a user needs: "" (any), store.RoleManager or store.RoleAdmin
	project   string // the project role a user needs on the projects it names
}

// Kanboard's procedure groups, as the reference lists them.
const (
	rpcMe = `getMe getMyDashboard getMyActivityStream createMyPrivateProject getMyProjectsList getMyProjects getMyOverdueTasks`

	rpcAdmin = `getUser getUserByName getAllUsers removeUser disableUser enableUser isActiveUser createUser createLdapUser updateUser
		createGroup updateGroup removeGroup getGroup getAllGroups
		getMemberGroups getGroupMembers addGroupMember removeGroupMember isGroupMember
		getLinkById getLinkByLabel getOppositeLinkId getAllLinks createLink updateLink removeLink
		getOverdueTasks getAllProjects`

	rpcAppManager = `createProject`

	// rpcNoProject name no project: any caller.
	rpcNoProject = `getTimezone getVersion getDefaultTaskColor getDefaultTaskColors getColorList getApplicationRoles getProjectRoles
		getAvailableActions getAvailableActionEvents getCompatibleActionEvents getAllTags
		getExternalTaskLinkTypes getExternalTaskLinkProviderDependencies`

	rpcManager = `createAction removeAction getActions createCategory updateCategory removeCategory
		addColumn updateColumn removeColumn changeColumnPosition
		addProjectUser addProjectGroup removeProjectUser removeProjectGroup changeProjectUserRole changeProjectGroupRole
		updateProject removeProject enableProject disableProject enableProjectPublicAccess disableProjectPublicAccess
		addSwimlane updateSwimlane removeSwimlane disableSwimlane enableSwimlane changeSwimlanePosition`

	rpcMember = `createComment updateComment removeComment createSubtask updateSubtask removeSubtask
		setSubtaskStartTime setSubtaskEndTime createProjectFile removeProjectFile removeAllProjectFiles
		createTaskFile removeTaskFile removeAllTaskFiles createTaskLink updateTaskLink removeTaskLink
		createExternalTaskLink updateExternalTaskLink removeExternalTaskLink
		createTask updateTask openTask closeTask removeTask moveTaskPosition moveTaskToProject duplicateTaskToProject
		setTaskTags createTag updateTag removeTag saveProjectMetadata removeProjectMetadata saveTaskMetadata removeTaskMetadata`

	rpcViewer = `getBoard getCategory getAllCategories getColumns getColumn getComment getAllComments
		getProjectFile getAllProjectFiles downloadProjectFile getProjectMetadata getProjectMetadataByName
		getProjectUsers getAssignableUsers getProjectUserRole
		getProjectById getProjectByName getProjectByIdentifier getProjectByEmail getProjectActivities getProjectActivity
		getSubtask getAllSubtasks hasSubtaskTimer getSubtaskTimeSpent
		getActiveSwimlanes getAllSwimlanes getSwimlaneById getSwimlaneByName getSwimlane getTagsByProject
		getExternalTaskLinkById getAllExternalTaskLinks getTaskFile getAllTaskFiles downloadTaskFile
		getTaskLinkById getAllTaskLinks getTaskMetadata getTaskMetadataByName
		searchTasks getTask getTaskByReference getAllTasks getOverdueTasksByProject getTaskTags`
)

// rpcAccessTable holds every one of Kanboard's 160 procedures.
var rpcAccessTable = func() map[string]rpcAccess {
	t := map[string]rpcAccess{}
	add := func(names string, a rpcAccess) {
		for _, n := range strings.Fields(names) {
			if _, dup := t[n]; dup {
				panic("jsonrpc access: " + n + " listed twice")
			}
			t[n] = a
		}
	}
	add(rpcMe, rpcAccess{usersOnly: true})
	add(rpcAdmin, rpcAccess{appRole: store.RoleAdmin})
	add(rpcAppManager, rpcAccess{appRole: store.RoleManager})
	add(rpcNoProject, rpcAccess{})
	add(rpcManager, rpcAccess{project: store.ProjectManager})
	add(rpcMember, rpcAccess{project: store.ProjectMember})
	add(rpcViewer, rpcAccess{project: store.ProjectViewer})
	return t
}()

// appRoleAllows orders the app roles: admin ⊃ manager ⊃ user.
func appRoleAllows(have, need string) bool {
	rank := map[string]int{store.RoleUser: 1, store.RoleManager: 2, store.RoleAdmin: 3}
	return need == "" || rank[have] >= rank[need]
}

// mayCall applies checks 1 and 2 to a call, before its arguments are read
// (as Kanboard does). A procedure missing from the table is refused to
// users, so a new procedure cannot slip past the project check unlisted.
func (c rpcCaller) mayCall(method string) bool {
	acc, listed := rpcAccessTable[method]
	if c.isApp() {
		return !acc.usersOnly
	}
	return listed && appRoleAllows(c.user.Role, acc.appRole)
}

// userProject is check 3: a user needs the procedure's project role in
// projectID (none, or an unknown project, is errForbidden). The app token
// is never checked against projects.
func (c *rpcCall) userProject(projectID int64) error {
	if c.caller.isApp() {
		return nil
	}
	need := rpcAccessTable[c.method].project
	if need == "" {
		need = store.ProjectViewer
	}
	role, err := c.a.store.ProjectRole(c.ctx(), projectID, c.caller.user.ID)
	if err != nil {
		return err
	}
	if !store.RoleAllows(role, need) {
		return errForbidden
	}
	return nil
}

// project checks a user's role in a project (userProject) and then looks
// it up: a user without the role gets errForbidden, an application naming
// an unknown project store.ErrNotFound.
func (c *rpcCall) project(id int64) (store.Project, error) {
	if err := c.userProject(id); err != nil {
		return store.Project{}, err
	}
	return c.a.store.ProjectByID(c.ctx(), id)
}

// ownedBy applies userProject to the project of a row just looked up
// (err is the lookup's error): a user naming an unknown row is refused
// with 403, as in Kanboard, and an application gets store.ErrNotFound.
func (c *rpcCall) ownedBy(projectID int64, err error) error {
	if errors.Is(err, store.ErrNotFound) && !c.caller.isApp() {
		return errForbidden
	}
	if err != nil {
		return err
	}
	return c.userProject(projectID)
}

// taskOwnedBy is ownedBy for a row of a task (a comment, a subtask, a
// link), found through the task's project; the app token needs no lookup.
func (c *rpcCall) taskOwnedBy(taskID int64, err error) error {
	var projectID int64
	if err == nil && !c.caller.isApp() {
		projectID, err = c.a.store.TaskProjectID(c.ctx(), taskID)
	}
	return c.ownedBy(projectID, err)
}

// taskProject is userProject on the project of a task: a user naming an
// unknown task gets errForbidden (Kanboard's "Project Not Found").
func (c *rpcCall) taskProject(taskID int64) error { return c.taskOwnedBy(taskID, nil) }

// partProject is taskProject for a comment, subtask, file or task link,
// whose task taskOf finds. The app token is not checked, so it gets the
// procedure's own answer for an unknown id.
func (c *rpcCall) partProject(id int64, taskOf func(ctx context.Context, id int64) (int64, error)) error {
	if c.caller.isApp() {
		return nil
	}
	return c.taskOwnedBy(taskOf(c.ctx(), id))
}

// commentTask, fileTask and taskLinkTask are the task a comment, file or
// task link belongs to (subtaskTask is in pages_task.go).
func (a *App) commentTask(ctx context.Context, id int64) (int64, error) {
	cm, err := a.store.CommentByID(ctx, id)
	return cm.TaskID, err
}

func (a *App) fileTask(ctx context.Context, id int64) (int64, error) {
	f, err := a.store.File(ctx, id)
	return f.TaskID, err
}

func (a *App) taskLinkTask(ctx context.Context, id int64) (int64, error) {
	tl, err := a.store.TaskLinkByID(ctx, id)
	return tl.TaskID, err
}
