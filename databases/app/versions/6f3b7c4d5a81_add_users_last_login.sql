-- revision: 6f3b7c4d5a81
-- down_revision: 5e2a6b3c4f70
-- message: add users last login
-- created: 2026-11-21T10:30:00Z

-- upgrade
ALTER TABLE users ADD COLUMN last_login VARCHAR(32);

-- downgrade
ALTER TABLE users DROP COLUMN last_login;
