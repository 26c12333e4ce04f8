package handlers

import (
	"net/http"

	"hookboard/static"
)

// Routes is the whole route table.
func (a *App) Routes() http.Handler {
	mux := http.NewServeMux()

	// Incoming task webhook: Kanboard's URL (any method; the handler answers
	// 405 itself so the reply stays plain text) and the clean alias.
	mux.HandleFunc("/{$}", a.root)
	mux.HandleFunc("/index.php", a.root)
	mux.HandleFunc("/webhook/task", a.incomingTask)

	// JSON-RPC API.
	mux.HandleFunc("/jsonrpc.php", a.jsonRPC)
	mux.HandleFunc("/jsonrpc", a.jsonRPC)

	mux.HandleFunc("GET /healthz", a.healthz)

	// Browser pages. Chain: (recover, log) -> same-origin check for state
	// changes -> session -> logged-in user or admin. Static files stay
	// outside sessions.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.errorPage(w, r, http.StatusForbidden, "Refused: this form was sent from another site (a cross-origin request).")
	}))
	page := func(h http.Handler) http.Handler { return securePageHeaders(cop.Handler(a.withSession(h))) }
	member := func(h http.HandlerFunc) http.Handler { return page(a.requireUser(h)) }
	admin := func(h http.HandlerFunc) http.Handler { return page(a.requireAdmin(h)) }
	a.web.home = member(a.homePage)

	mux.Handle("GET /static/", securePageHeaders(http.StripPrefix("/static/", http.FileServerFS(static.FS))))
	mux.HandleFunc("GET /static/colors.css", a.colorsCSS)

	mux.Handle("GET /login", page(http.HandlerFunc(a.loginPage)))
	mux.Handle("POST /login", page(http.HandlerFunc(a.login)))
	mux.Handle("POST /logout", page(http.HandlerFunc(a.logout)))

	mux.Handle("GET /projects", member(a.projectsSwitch))
	mux.Handle("GET /projects/{id}/board", member(a.board))
	mux.Handle("POST /projects/{id}/tasks", member(a.createTask))
	mux.Handle("GET /projects/{id}/members", member(a.membersPage))
	mux.Handle("POST /projects/{id}/members", member(a.addMember))
	mux.Handle("POST /projects/{id}/members/{user}/role", member(a.setMemberRole))
	mux.Handle("POST /projects/{id}/members/{user}/delete", member(a.removeMember))
	mux.Handle("POST /projects/{id}/groups", member(a.addProjectGroup))
	mux.Handle("POST /projects/{id}/groups/{group}/role", member(a.setProjectGroupRole))
	mux.Handle("POST /projects/{id}/groups/{group}/delete", member(a.removeProjectGroup))
	mux.Handle("GET /tasks/{id}", member(a.taskPage))
	mux.Handle("POST /tasks/{id}/edit", member(a.editTask))
	mux.Handle("POST /tasks/{id}/move", member(a.moveTask))
	mux.Handle("POST /tasks/{id}/close", member(a.closeTask))
	mux.Handle("POST /tasks/{id}/open", member(a.openTask))
	mux.Handle("POST /tasks/{id}/delete", member(a.deleteTask))
	mux.Handle("POST /tasks/{id}/comments", member(a.addComment))
	mux.Handle("POST /comments/{id}/delete", member(a.deleteComment))
	mux.Handle("POST /tasks/{id}/subtasks", member(a.addSubtask))
	mux.Handle("POST /subtasks/{id}/status", member(a.setSubtaskStatus))
	mux.Handle("POST /subtasks/{id}/delete", member(a.deleteSubtask))
	mux.Handle("POST /subtasks/{id}/timer", member(a.toggleSubtaskTimer))
	mux.Handle("POST /tasks/{id}/files", member(a.uploadFile))
	mux.Handle("GET /files/{id}", member(a.downloadFile))
	mux.Handle("POST /files/{id}/delete", member(a.deleteFile))
	mux.Handle("GET /projects/{id}/files", member(a.projectFilesPage))
	mux.Handle("POST /projects/{id}/files", member(a.uploadProjectFile))
	mux.Handle("GET /project-files/{id}", member(a.downloadProjectFile))
	mux.Handle("POST /project-files/{id}/delete", member(a.deleteProjectFile))
	mux.Handle("POST /tasks/{id}/links", member(a.addTaskLink))
	mux.Handle("POST /task-links/{id}/delete", member(a.deleteTaskLink))
	mux.Handle("POST /tasks/{id}/external-links", member(a.addExternalLink))
	mux.Handle("POST /tasks/{id}/external-links/{link}/delete", member(a.deleteExternalLink))

	// Project administration (pages_projects.go): managers of the project
	// and admins; the handlers check.
	mux.Handle("GET /projects/admin", member(a.projectsAdmin))
	mux.Handle("POST /projects", member(a.createProjectPage))
	mux.Handle("GET /projects/{id}/settings", member(a.projectSettings))
	mux.Handle("POST /projects/{id}/settings", member(a.updateProjectSettings))
	mux.Handle("POST /projects/{id}/enable", member(a.setProjectActive(true)))
	mux.Handle("POST /projects/{id}/disable", member(a.setProjectActive(false)))
	mux.Handle("POST /projects/{id}/delete", member(a.deleteProjectPage))
	mux.Handle("POST /projects/{id}/columns", member(a.addColumnPage))
	mux.Handle("POST /columns/{id}/edit", member(a.editColumnPage))
	mux.Handle("POST /columns/{id}/move", member(a.moveColumnPage))
	mux.Handle("POST /columns/{id}/delete", member(a.deleteColumnPage))
	mux.Handle("POST /projects/{id}/swimlanes", member(a.addSwimlanePage))
	mux.Handle("POST /swimlanes/{id}/edit", member(a.editSwimlanePage))
	mux.Handle("POST /swimlanes/{id}/move", member(a.moveSwimlanePage))
	mux.Handle("POST /swimlanes/{id}/enable", member(a.setSwimlaneActivePage(true)))
	mux.Handle("POST /swimlanes/{id}/disable", member(a.setSwimlaneActivePage(false)))
	mux.Handle("POST /swimlanes/{id}/delete", member(a.deleteSwimlanePage))
	mux.Handle("POST /projects/{id}/categories", member(a.addCategoryPage))
	mux.Handle("GET /projects/{id}/actions", member(a.actionsPage))
	mux.Handle("POST /projects/{id}/actions", member(a.createActionPage))
	mux.Handle("POST /projects/{id}/actions/{action}/delete", member(a.removeActionPage))
	mux.Handle("POST /categories/{id}/edit", member(a.editCategoryPage))
	mux.Handle("POST /categories/{id}/delete", member(a.deleteCategoryPage))

	mux.Handle("GET /settings", admin(a.settingsHome))
	mux.Handle("GET /settings/integrations", admin(a.integrationsPage))
	mux.Handle("POST /settings/integrations", admin(a.createIntegration))
	mux.Handle("POST /settings/integrations/{id}/regenerate", admin(a.regenerateIntegration))
	mux.Handle("POST /settings/integrations/{id}/enable", admin(a.enableIntegration))
	mux.Handle("POST /settings/integrations/{id}/disable", admin(a.disableIntegration))
	mux.Handle("POST /settings/integrations/{id}/delete", admin(a.deleteIntegration))
	mux.Handle("POST /settings/integrations/{id}/edit", admin(a.editIntegration))
	mux.Handle("GET /settings/webhooks", admin(a.webhooksPage))
	mux.Handle("POST /settings/webhooks", admin(a.createEndpoint))
	mux.Handle("GET /settings/webhooks/{id}", admin(a.endpointPage))
	mux.Handle("POST /settings/webhooks/{id}/edit", admin(a.editEndpoint))
	mux.Handle("POST /settings/webhooks/{id}/test", admin(a.testEndpoint))
	mux.Handle("POST /settings/webhooks/{id}/enable", admin(a.enableEndpoint))
	mux.Handle("POST /settings/webhooks/{id}/disable", admin(a.disableEndpoint))
	mux.Handle("POST /settings/webhooks/{id}/delete", admin(a.deleteEndpoint))
	mux.Handle("POST /settings/webhooks/{id}/rotate-secret", admin(a.rotateEndpointSecret))
	mux.Handle("POST /settings/webhooks/{id}/rotate-token", admin(a.rotateEndpointToken))
	mux.Handle("GET /settings/deliveries", admin(a.deliveryLogPage))
	mux.Handle("POST /settings/deliveries/redeliver", admin(a.bulkRedeliver))
	mux.Handle("GET /settings/events", admin(a.eventsPage))
	mux.Handle("GET /settings/deliveries/{id}", admin(a.deliveryPage))
	mux.Handle("POST /settings/deliveries/{id}/redeliver", admin(a.redeliver))
	mux.Handle("GET /settings/users", admin(a.usersPage))
	mux.Handle("POST /settings/users", admin(a.createUser))
	mux.Handle("POST /settings/users/{id}/role", admin(a.setUserRole))
	mux.Handle("GET /settings/users/{id}/confirm", admin(a.confirmOwnRole))
	mux.Handle("GET /settings/users/{id}", admin(a.userPage))
	mux.Handle("POST /settings/users/{id}/edit", admin(a.editUser))
	mux.Handle("POST /settings/users/{id}/password", admin(a.resetUserPassword))
	mux.Handle("POST /settings/users/{id}/delete", admin(a.removeUser))
	mux.Handle("GET /settings/groups", admin(a.groupsPage))
	mux.Handle("POST /settings/groups", admin(a.createGroup))
	mux.Handle("GET /settings/groups/{id}", admin(a.groupPage))
	mux.Handle("POST /settings/groups/{id}/edit", admin(a.editGroup))
	mux.Handle("POST /settings/groups/{id}/delete", admin(a.removeGroup))
	mux.Handle("POST /settings/groups/{id}/members", admin(a.addGroupMember))
	mux.Handle("POST /settings/groups/{id}/members/{user}/delete", admin(a.removeGroupMember))

	mux.Handle("GET /account", member(a.accountPage))
	mux.Handle("POST /account/password", member(a.changePassword))
	mux.Handle("POST /account/tokens", member(a.createPersonalToken))
	mux.Handle("POST /account/tokens/{id}/delete", member(a.deletePersonalToken))

	// Any other path: the styled page, not the mux's plain text.
	mux.Handle("/", page(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.notFound(mux, w, r) })))

	return a.recoverPanics(a.logRequests(mux))
}
