-- revision: 5b1e0c7a9d21
-- down_revision:
-- message: create tools
-- created: 2026-11-21T09:00:00Z

-- upgrade
CREATE TABLE tools (
    id INTEGER PRIMARY KEY,
    name VARCHAR(255) NOT NULL UNIQUE,
    description VARCHAR(1000)
);

-- downgrade
DROP TABLE tools;
