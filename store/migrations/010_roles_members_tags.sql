-- Kanboard parity, part one: app roles, project members with project roles,
-- tags, and the project, column and swimlane settings Kanboard's API reads
-- and writes.

-- A user's application role, as Kanboard names it. It replaces the admin
-- flag: app-admin is what is_admin = 1 was; app-manager may also create
-- projects.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'app-user'
    CHECK (role IN ('app-admin', 'app-manager', 'app-user'));
UPDATE users SET role = 'app-admin' WHERE is_admin = 1;
ALTER TABLE users DROP COLUMN is_admin;

-- Who may see and change a project. A user with no row here has no role in
-- the project (Kanboard's ""), whatever their app role.
CREATE TABLE project_users (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT    NOT NULL DEFAULT 'project-member'
        CHECK (role IN ('project-manager', 'project-member', 'project-viewer')),
    PRIMARY KEY (project_id, user_id)
) WITHOUT ROWID;
CREATE INDEX project_users_user ON project_users(user_id);

-- Every project that existed before members did keeps being usable by the
-- users who used it: each active user becomes a member of each project,
-- and its owner (or, without one, every admin) its manager.
INSERT INTO project_users (project_id, user_id, role)
    SELECT p.id, u.id,
           CASE WHEN p.owner_id = u.id OR (p.owner_id IS NULL AND u.role = 'app-admin')
                THEN 'project-manager' ELSE 'project-member' END
    FROM projects p, users u;

-- Project settings of Kanboard's project row.
ALTER TABLE projects ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN start_date TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN end_date TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN priority_default INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN priority_start INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN priority_end INTEGER NOT NULL DEFAULT 3;
ALTER TABLE projects ADD COLUMN task_limit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN per_swimlane_task_limits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN enable_global_tags INTEGER NOT NULL DEFAULT 1;
ALTER TABLE projects ADD COLUMN is_private INTEGER NOT NULL DEFAULT 0;

ALTER TABLE columns ADD COLUMN hide_in_dashboard INTEGER NOT NULL DEFAULT 0;
ALTER TABLE swimlanes ADD COLUMN task_limit INTEGER NOT NULL DEFAULT 0;

-- Kanboard refuses a second category of the same name in a project; names
-- that already repeat get their id appended first.
UPDATE categories SET name = name || ' (' || id || ')'
    WHERE id NOT IN (SELECT min(id) FROM categories GROUP BY project_id, name COLLATE NOCASE);
CREATE UNIQUE INDEX categories_name ON categories(project_id, name COLLATE NOCASE);

-- Tags: project_id 0 is a global tag, offered in every project.
CREATE TABLE tags (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL DEFAULT 0,
    name       TEXT    NOT NULL,
    color_id   TEXT    NOT NULL DEFAULT '',
    UNIQUE (project_id, name)
);

CREATE TABLE task_tags (
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    tag_id  INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX task_tags_tag ON task_tags(tag_id);
