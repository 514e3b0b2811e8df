-- The schema database `app` should have, in SQLite's dialect: `retort diff --db app` shows
-- what a new revision would change to get there, `retort revision --autogenerate --db app -m MSG`
-- writes it, and `retort check` fails while the migrations at head build something else.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email VARCHAR(255) NOT NULL UNIQUE,
    last_login VARCHAR(32),
    display_name VARCHAR(255)
);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users (id),
    name VARCHAR(255) NOT NULL
);

CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id),
    amount_cents INTEGER NOT NULL
);

-- tool_id refers to tool_registry's tools: another database, so no foreign key.
CREATE TABLE project_tools (
    project_id INTEGER NOT NULL REFERENCES projects (id),
    tool_id INTEGER NOT NULL,
    tool_version VARCHAR(64) NOT NULL,
    PRIMARY KEY (project_id, tool_id)
);
