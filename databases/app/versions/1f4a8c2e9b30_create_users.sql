-- revision: 1f4a8c2e9b30
-- down_revision:
-- message: create users
-- created: 2026-11-21T10:00:00Z

-- upgrade
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email VARCHAR(255) NOT NULL UNIQUE
);

-- downgrade
DROP TABLE users;
