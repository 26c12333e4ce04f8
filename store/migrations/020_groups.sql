-- Kanboard parity: groups of users, and projects shared with a group. A
-- user's role in a project is their own, else the highest role of their
-- groups in it.

CREATE TABLE groups (
    id          INTEGER PRIMARY KEY,
    external_id TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL UNIQUE
);

CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members(user_id);

CREATE TABLE project_groups (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    group_id   INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    role       TEXT    NOT NULL DEFAULT 'project-member'
        CHECK (role IN ('project-manager', 'project-member', 'project-viewer')),
    PRIMARY KEY (project_id, group_id)
) WITHOUT ROWID;
CREATE INDEX project_groups_group ON project_groups(group_id);

-- The one rule for a user's role in a project: the direct role wins;
-- without one, the highest role among the user's groups.
CREATE VIEW project_roles AS
    SELECT project_id, user_id, role FROM project_users
    UNION ALL
    SELECT pg.project_id, gm.user_id,
           CASE max(CASE pg.role WHEN 'project-manager' THEN 3 WHEN 'project-member' THEN 2 ELSE 1 END)
                WHEN 3 THEN 'project-manager' WHEN 2 THEN 'project-member' ELSE 'project-viewer' END
    FROM project_groups pg JOIN group_members gm ON gm.group_id = pg.group_id
    WHERE NOT EXISTS (SELECT 1 FROM project_users pu WHERE pu.project_id = pg.project_id AND pu.user_id = gm.user_id)
    GROUP BY pg.project_id, gm.user_id;
