-- The configuration cache that config_version (migration 003) served is gone:
-- every request reads what it needs from the tables themselves, so a change
-- made by another process (the CLI) is seen at once without a counter.
DROP TRIGGER IF EXISTS integrations_config_insert;
DROP TRIGGER IF EXISTS integrations_config_delete;
DROP TRIGGER IF EXISTS integrations_config_update;
DROP TRIGGER IF EXISTS webhook_endpoints_config_insert;
DROP TRIGGER IF EXISTS webhook_endpoints_config_delete;
DROP TRIGGER IF EXISTS webhook_endpoints_config_update;
DROP TRIGGER IF EXISTS projects_config_insert;
DROP TRIGGER IF EXISTS projects_config_delete;
DROP TRIGGER IF EXISTS projects_config_update;
DROP TRIGGER IF EXISTS columns_config_insert;
DROP TRIGGER IF EXISTS columns_config_delete;
DROP TRIGGER IF EXISTS columns_config_update;
DROP TRIGGER IF EXISTS swimlanes_config_insert;
DROP TRIGGER IF EXISTS swimlanes_config_delete;
DROP TRIGGER IF EXISTS swimlanes_config_update;
DROP TRIGGER IF EXISTS categories_config_insert;
DROP TRIGGER IF EXISTS categories_config_delete;
DROP TRIGGER IF EXISTS categories_config_update;
DROP TRIGGER IF EXISTS users_config_insert;
DROP TRIGGER IF EXISTS users_config_delete;
DROP TRIGGER IF EXISTS users_config_update;
DROP TABLE IF EXISTS config_version;
