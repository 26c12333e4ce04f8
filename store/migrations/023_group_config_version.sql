-- A task's owner may be assignable through a group (the view project_roles,
-- migration 020), and the placement cache (config_cache.go) holds that
-- answer per config_version: a change of a group's members or of its roles
-- in projects must move the version on, as project_users does (018).
-- Removing a group cascades to both tables, whose triggers fire.
CREATE TRIGGER group_members_config_insert AFTER INSERT ON group_members BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER group_members_config_delete AFTER DELETE ON group_members BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER group_members_config_update AFTER UPDATE ON group_members BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER project_groups_config_insert AFTER INSERT ON project_groups BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER project_groups_config_delete AFTER DELETE ON project_groups BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER project_groups_config_update AFTER UPDATE ON project_groups BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
