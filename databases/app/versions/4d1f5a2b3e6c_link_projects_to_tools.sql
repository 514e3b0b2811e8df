-- revision: 4d1f5a2b3e6c
-- down_revision: 2b7d3e9f1c44
-- depends_on: tool_registry:8c3f2d4e6a10
-- message: link projects to tools
-- created: 2026-11-21T10:12:00Z

-- upgrade
-- The tool ids come from the tool_registry database, so this migration waits
-- until tool_registry has its tool_versions table.
CREATE TABLE project_tools (
    project_id INTEGER NOT NULL REFERENCES projects (id),
    tool_id INTEGER NOT NULL,
    tool_version VARCHAR(64) NOT NULL,
    PRIMARY KEY (project_id, tool_id)
);

-- downgrade
DROP TABLE project_tools;
