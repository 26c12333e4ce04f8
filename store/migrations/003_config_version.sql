-- config_version moves on with every committed change, by any process, to
-- what requests check or copy on the hot paths: integrations (not their
-- last use), webhook endpoints (not their health), and the board's
-- projects, columns, swimlanes, categories and users. The server caches
-- those and trusts a cached entry only inside a write transaction that
-- reads the same version (store/config_cache.go), so a change made with
-- the CLI from another process takes effect at once.
CREATE TABLE config_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 1);

CREATE TRIGGER integrations_config_insert AFTER INSERT ON integrations BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER integrations_config_delete AFTER DELETE ON integrations BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER integrations_config_update AFTER UPDATE OF name, kind, token_hash, default_project_id, default_column_id, default_swimlane_id, expires_at, enabled, allowed_ips, require_proof, app_secret_enc ON integrations BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER webhook_endpoints_config_insert AFTER INSERT ON webhook_endpoints BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER webhook_endpoints_config_delete AFTER DELETE ON webhook_endpoints BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER webhook_endpoints_config_update AFTER UPDATE OF name, url, enabled, events, projects, format, timeout_ms, token_enc, prev_token_enc, prev_token_until, secret_enc, prev_secret_enc, prev_secret_until ON webhook_endpoints BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER projects_config_insert AFTER INSERT ON projects BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER projects_config_delete AFTER DELETE ON projects BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER projects_config_update AFTER UPDATE ON projects BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER columns_config_insert AFTER INSERT ON columns BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER columns_config_delete AFTER DELETE ON columns BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER columns_config_update AFTER UPDATE ON columns BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER swimlanes_config_insert AFTER INSERT ON swimlanes BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER swimlanes_config_delete AFTER DELETE ON swimlanes BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER swimlanes_config_update AFTER UPDATE ON swimlanes BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER categories_config_insert AFTER INSERT ON categories BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER categories_config_delete AFTER DELETE ON categories BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER categories_config_update AFTER UPDATE ON categories BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER users_config_insert AFTER INSERT ON users BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER users_config_delete AFTER DELETE ON users BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER users_config_update AFTER UPDATE ON users BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
