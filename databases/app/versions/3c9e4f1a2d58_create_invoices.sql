-- revision: 3c9e4f1a2d58
-- down_revision: 2b7d3e9f1c44
-- branch_labels: billing
-- message: create invoices
-- created: 2026-11-21T10:10:00Z

-- upgrade
CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id),
    amount_cents INTEGER NOT NULL
);

-- downgrade
DROP TABLE invoices;
