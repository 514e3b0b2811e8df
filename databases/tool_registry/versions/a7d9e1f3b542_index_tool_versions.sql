-- revision: a7d9e1f3b542
-- down_revision: 8c3f2d4e6a10
-- message: index tool versions by tool
-- created: 2026-11-21T09:20:00Z

-- upgrade
CREATE INDEX ix_tool_versions_tool_id ON tool_versions (tool_id);

-- downgrade
DROP INDEX ix_tool_versions_tool_id;

-- downgrade mysql
DROP INDEX ix_tool_versions_tool_id ON tool_versions;
