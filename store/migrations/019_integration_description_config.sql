-- An integration cached at a config_version carries its description too:
-- editing only the description must move config_version like its other
-- columns do.
DROP TRIGGER integrations_config_update;
CREATE TRIGGER integrations_config_update AFTER UPDATE OF name, description, kind, token_hash, default_project_id, default_column_id, default_swimlane_id, expires_at, enabled, allowed_ips, require_proof, app_secret_enc ON integrations BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
