-- Kanboard parity: link types, links between tasks, external links and
-- metadata on tasks and projects.

-- Link types. Each names its opposite ("blocks" / "is blocked by"); 0 is
-- a link that is its own opposite ("relates to"). Kanboard's eleven
-- defaults keep Kanboard's ids, which scripts name.
CREATE TABLE links (
    id          INTEGER PRIMARY KEY,
    label       TEXT    NOT NULL UNIQUE,
    opposite_id INTEGER NOT NULL DEFAULT 0
);
INSERT INTO links (id, label, opposite_id) VALUES
    (1, 'relates to', 0),
    (2, 'blocks', 3),
    (3, 'is blocked by', 2),
    (4, 'duplicates', 5),
    (5, 'is duplicated by', 4),
    (6, 'is a child of', 7),
    (7, 'is a parent of', 6),
    (8, 'targets milestone', 9),
    (9, 'is a milestone of', 8),
    (10, 'fixes', 11),
    (11, 'is fixed by', 10);

-- A link between two tasks is two rows, one read from each task, as in
-- Kanboard: (a, b, blocks) and (b, a, is blocked by).
CREATE TABLE task_links (
    id               INTEGER PRIMARY KEY,
    link_id          INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,
    task_id          INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    opposite_task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    UNIQUE (task_id, opposite_task_id, link_id)
);
CREATE INDEX task_links_opposite ON task_links(opposite_task_id);
CREATE INDEX task_links_link ON task_links(link_id);

-- Links from a task to a page, a file or an attachment elsewhere.
CREATE TABLE task_external_links (
    id          INTEGER PRIMARY KEY,
    task_id     INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    link_type   TEXT    NOT NULL,
    dependency  TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    creator_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    modified_at INTEGER NOT NULL
);
CREATE INDEX task_external_links_task ON task_external_links(task_id);

-- Name/value pairs integrations keep on tasks and projects.
CREATE TABLE task_metadata (
    task_id    INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    value      TEXT    NOT NULL DEFAULT '',
    changed_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    changed_on INTEGER NOT NULL,
    PRIMARY KEY (task_id, name)
) WITHOUT ROWID;

CREATE TABLE project_metadata (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    value      TEXT    NOT NULL DEFAULT '',
    changed_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    changed_on INTEGER NOT NULL,
    PRIMARY KEY (project_id, name)
) WITHOUT ROWID;
