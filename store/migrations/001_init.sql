-- The whole schema of the first release. Times are unix seconds unless the
-- column name ends in _ms. "None" references are NULL (the API shows them as 0,
-- as Kanboard does).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT    NOT NULL DEFAULT '',
    email         TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    is_active     INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL
);

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    identifier  TEXT    NOT NULL DEFAULT '',
    is_active   INTEGER NOT NULL DEFAULT 1,
    owner_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    modified_at INTEGER NOT NULL
);

CREATE TABLE columns (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    title       TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    task_limit  INTEGER NOT NULL DEFAULT 0,
    description TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX columns_project ON columns(project_id, position);

CREATE TABLE swimlanes (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    position    INTEGER NOT NULL,
    is_active   INTEGER NOT NULL DEFAULT 1,
    is_default  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX swimlanes_project ON swimlanes(project_id, position);

CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    color_id    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX categories_project ON categories(project_id);

CREATE TABLE tasks (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    column_id      INTEGER NOT NULL REFERENCES columns(id),
    swimlane_id    INTEGER NOT NULL REFERENCES swimlanes(id),
    category_id    INTEGER REFERENCES categories(id) ON DELETE SET NULL,
    owner_id       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    creator_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    title          TEXT    NOT NULL,
    description    TEXT    NOT NULL DEFAULT '',
    color_id       TEXT    NOT NULL DEFAULT 'yellow',
    position       INTEGER NOT NULL,
    is_active      INTEGER NOT NULL DEFAULT 1,
    date_due       INTEGER NOT NULL DEFAULT 0,
    date_started   INTEGER NOT NULL DEFAULT 0,
    score          INTEGER NOT NULL DEFAULT 0,
    priority       INTEGER NOT NULL DEFAULT 0,
    reference      TEXT    NOT NULL DEFAULT '',
    time_spent     REAL    NOT NULL DEFAULT 0,
    time_estimated REAL    NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    modified_at    INTEGER NOT NULL,
    moved_at       INTEGER NOT NULL,
    completed_at   INTEGER
);
-- The board and "end of the column" both read tasks by their cell.
CREATE INDEX tasks_cell ON tasks(project_id, column_id, swimlane_id, position);

CREATE TABLE comments (
    id          INTEGER PRIMARY KEY,
    task_id     INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    comment     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    modified_at INTEGER NOT NULL
);
CREATE INDEX comments_task ON comments(task_id);

CREATE TABLE subtasks (
    id             INTEGER PRIMARY KEY,
    task_id        INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    title          TEXT    NOT NULL,
    status         INTEGER NOT NULL DEFAULT 0, -- 0 todo, 1 in progress, 2 done
    user_id        INTEGER REFERENCES users(id) ON DELETE SET NULL,
    time_estimated REAL    NOT NULL DEFAULT 0,
    time_spent     REAL    NOT NULL DEFAULT 0,
    position       INTEGER NOT NULL
);
CREATE INDEX subtasks_task ON subtasks(task_id, position);

CREATE TABLE task_files (
    id         INTEGER PRIMARY KEY,
    task_id    INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    name       TEXT    NOT NULL,
    mime_type  TEXT    NOT NULL DEFAULT 'application/octet-stream',
    size       INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX task_files_task ON task_files(task_id);

-- Integrations are the team's incoming-URL and JSON-RPC application tokens.
-- Tokens are stored only as SHA-256; the app secret must be usable for HMAC,
-- so it is encrypted with the key file's key (see store/secrets.go).
CREATE TABLE integrations (
    id                  INTEGER PRIMARY KEY,
    name                TEXT    NOT NULL,
    description         TEXT    NOT NULL DEFAULT '',
    kind                TEXT    NOT NULL CHECK (kind IN ('incoming', 'api')),
    token_hash          BLOB    NOT NULL UNIQUE,
    token_hint          TEXT    NOT NULL,
    default_project_id  INTEGER REFERENCES projects(id) ON DELETE SET NULL,
    default_column_id   INTEGER REFERENCES columns(id) ON DELETE SET NULL,
    default_swimlane_id INTEGER REFERENCES swimlanes(id) ON DELETE SET NULL,
    expires_at          INTEGER,
    enabled             INTEGER NOT NULL DEFAULT 1,
    allowed_ips         TEXT    NOT NULL DEFAULT '',
    require_proof       INTEGER NOT NULL DEFAULT 0,
    app_secret_enc      BLOB,
    last_used_at        INTEGER,
    created_at          INTEGER NOT NULL
);

CREATE TABLE integration_usage (
    integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    day            TEXT    NOT NULL, -- YYYY-MM-DD, UTC
    count          INTEGER NOT NULL,
    PRIMARY KEY (integration_id, day)
) WITHOUT ROWID;

CREATE TABLE personal_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE,
    token_hint   TEXT    NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX personal_tokens_user ON personal_tokens(user_id);

-- The transactional outbox: every change writes its event in its own
-- transaction. Events outlive what they describe, so no foreign keys here.
CREATE TABLE events (
    id                    TEXT    PRIMARY KEY, -- UUIDv7, sorts by time
    name                  TEXT    NOT NULL,
    project_id            INTEGER,
    task_id               INTEGER,
    author_user_id        INTEGER,
    author_integration_id INTEGER,
    author_name           TEXT, -- username, NULL for an integration
    created_at_ms         INTEGER NOT NULL,
    data                  TEXT    NOT NULL -- Kanboard-shaped event_data snapshot (JSON)
);

CREATE TABLE webhook_endpoints (
    id                     INTEGER PRIMARY KEY,
    name                   TEXT    NOT NULL,
    url                    TEXT    NOT NULL,
    enabled                INTEGER NOT NULL DEFAULT 1,
    events                 TEXT    NOT NULL DEFAULT 'all', -- 'all' or comma list
    projects               TEXT    NOT NULL DEFAULT 'all', -- 'all' or comma list of ids
    format                 TEXT    NOT NULL DEFAULT 'kanboard' CHECK (format IN ('kanboard', 'envelope', 'transit')),
    timeout_ms             INTEGER NOT NULL DEFAULT 1000,
    token_enc              BLOB    NOT NULL,
    prev_token_enc         BLOB,
    prev_token_until       INTEGER,
    secret_enc             BLOB    NOT NULL,
    prev_secret_enc        BLOB,
    prev_secret_until      INTEGER,
    failing_since          INTEGER,
    disabled_reason        TEXT    NOT NULL DEFAULT '',
    created_at             INTEGER NOT NULL,
    modified_at            INTEGER NOT NULL
);

-- One delivery per (event, endpoint), created in the event's transaction so a
-- committed change can never lose its webhook. next_attempt_ms doubles as a
-- lease: whoever attempts a delivery first pushes it past its own deadline.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    event_id        TEXT    NOT NULL REFERENCES events(id),
    endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER,
    last_status     INTEGER,
    created_at_ms   INTEGER NOT NULL,
    finished_at_ms  INTEGER
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_ms) WHERE status = 'pending';
CREATE INDEX deliveries_endpoint ON deliveries(endpoint_id, id);
CREATE INDEX deliveries_event ON deliveries(event_id);

CREATE TABLE delivery_attempts (
    id               INTEGER PRIMARY KEY,
    delivery_id      INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    trigger          TEXT    NOT NULL, -- sync, retry, redeliver, test
    started_at_ms    INTEGER NOT NULL,
    latency_ms       INTEGER NOT NULL,
    request_url      TEXT    NOT NULL, -- token redacted
    request_headers  TEXT    NOT NULL, -- JSON object, secrets redacted
    request_body     BLOB    NOT NULL,
    response_status  INTEGER, -- NULL when no response came
    response_headers TEXT,
    response_body    BLOB,    -- first 4 KiB
    error            TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id);
CREATE INDEX delivery_attempts_started ON delivery_attempts(started_at_ms);

-- Browser sessions (scs).
CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BLOB NOT NULL,
    expiry REAL NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expiry);
