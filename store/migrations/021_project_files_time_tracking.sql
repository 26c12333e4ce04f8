-- Kanboard parity: files attached to a project (as task_files are to a
-- task) and the timers users run on subtasks.
CREATE TABLE project_files (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    name       TEXT    NOT NULL,
    mime_type  TEXT    NOT NULL DEFAULT 'application/octet-stream',
    size       INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX project_files_project ON project_files(project_id);

-- One row per timer: end_at 0 while it runs; time_spent is its hours once
-- stopped (already added to the subtask's time_spent).
CREATE TABLE subtask_time_tracking (
    id         INTEGER PRIMARY KEY,
    subtask_id INTEGER NOT NULL REFERENCES subtasks(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    start_at   INTEGER NOT NULL,
    end_at     INTEGER NOT NULL DEFAULT 0,
    time_spent REAL    NOT NULL DEFAULT 0
);
CREATE INDEX subtask_time_tracking_subtask ON subtask_time_tracking(subtask_id, user_id);
-- At most one running timer per user and subtask.
CREATE UNIQUE INDEX subtask_time_tracking_running ON subtask_time_tracking(subtask_id, user_id) WHERE end_at = 0;
