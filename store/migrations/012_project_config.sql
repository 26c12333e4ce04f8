-- Project configuration as Kanboard enforces it: column titles and
-- swimlane names are unique within a project, and a project identifier or
-- email names one project only. Names that already repeat get their id
-- appended first.
UPDATE columns SET title = title || ' (' || id || ')'
    WHERE id NOT IN (SELECT min(id) FROM columns GROUP BY project_id, title);
CREATE UNIQUE INDEX columns_title ON columns(project_id, title);

UPDATE swimlanes SET name = name || ' (' || id || ')'
    WHERE id NOT IN (SELECT min(id) FROM swimlanes GROUP BY project_id, name);
CREATE UNIQUE INDEX swimlanes_name ON swimlanes(project_id, name);

UPDATE projects SET identifier = '' WHERE identifier <> ''
    AND id NOT IN (SELECT min(id) FROM projects WHERE identifier <> '' GROUP BY identifier);
CREATE UNIQUE INDEX projects_identifier ON projects(identifier) WHERE identifier <> '';

UPDATE projects SET email = '' WHERE email <> ''
    AND id NOT IN (SELECT min(id) FROM projects WHERE email <> '' GROUP BY email);
CREATE UNIQUE INDEX projects_email ON projects(email) WHERE email <> '';
