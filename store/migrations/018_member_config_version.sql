-- A task's owner must be an assignable member of its project, and the
-- placement cache (config_cache.go) holds that answer per config_version:
-- a change of membership must move the version on, as other config does.
CREATE TRIGGER project_users_config_insert AFTER INSERT ON project_users BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER project_users_config_delete AFTER DELETE ON project_users BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER project_users_config_update AFTER UPDATE ON project_users BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
