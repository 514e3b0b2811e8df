-- revision: 2b7d3e9f1c44
-- down_revision: 1f4a8c2e9b30
-- message: create projects
-- created: 2026-11-21T10:05:00Z

-- upgrade
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users (id),
    name VARCHAR(255) NOT NULL
);

-- downgrade
DROP TABLE projects;
