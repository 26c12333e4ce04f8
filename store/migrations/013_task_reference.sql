-- Scripts look a task up by its reference before they act
-- (getTaskByReference); only tasks that have one are indexed, so creating
-- a task without a reference costs nothing more.
CREATE INDEX tasks_reference ON tasks(project_id, reference) WHERE reference != '';
