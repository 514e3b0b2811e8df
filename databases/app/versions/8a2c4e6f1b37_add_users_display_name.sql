-- revision: 8a2c4e6f1b37
-- down_revision: 6f3b7c4d5a81
-- message: add users display name
-- created: 2026-11-21T10:40:00Z

-- upgrade
ALTER TABLE users ADD COLUMN display_name VARCHAR(255);

-- downgrade
ALTER TABLE users DROP COLUMN display_name;
