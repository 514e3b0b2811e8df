-- revision: 9b3d5f7a2c48
-- down_revision: 8a2c4e6f1b37
-- message: backfill users display name
-- created: 2026-11-21T10:45:00Z
-- transaction: false

-- upgrade
-- rust: backfill_users_display_name

-- downgrade
-- rust: backfill_users_display_name
