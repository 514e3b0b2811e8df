-- revision: 8c3f2d4e6a10
-- down_revision: 5b1e0c7a9d21
-- message: add tool versions
-- created: 2026-11-21T09:10:00Z

-- upgrade
CREATE TABLE tool_versions (
    id INTEGER PRIMARY KEY,
    tool_id INTEGER NOT NULL REFERENCES tools (id),
    version VARCHAR(64) NOT NULL
);

-- downgrade
DROP TABLE tool_versions;
