-- Automatic actions (Kanboard's tables, named as there): a project's rules
-- "when event_name, run action_name with these params". Every change of a
-- task reads them, so they move config_version on (see 003) and are cached.
CREATE TABLE actions (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    event_name  TEXT    NOT NULL,
    action_name TEXT    NOT NULL
);
CREATE INDEX actions_project ON actions(project_id);

CREATE TABLE action_has_params (
    id        INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
    name      TEXT    NOT NULL,
    value     TEXT    NOT NULL
);
CREATE INDEX action_has_params_action ON action_has_params(action_id);

CREATE TRIGGER actions_config_insert AFTER INSERT ON actions BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER actions_config_delete AFTER DELETE ON actions BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER actions_config_update AFTER UPDATE ON actions BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER action_has_params_config_insert AFTER INSERT ON action_has_params BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER action_has_params_config_delete AFTER DELETE ON action_has_params BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER action_has_params_config_update AFTER UPDATE ON action_has_params BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;

-- When task.cronjob.daily last ran (store.RunDailyActions), so that it runs
-- once a day across restarts and servers sharing the database.
CREATE TABLE action_daily_run (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    last_run_at INTEGER NOT NULL
);
