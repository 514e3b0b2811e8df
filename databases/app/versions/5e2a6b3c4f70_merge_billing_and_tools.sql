-- revision: 5e2a6b3c4f70
-- down_revision: 3c9e4f1a2d58, 4d1f5a2b3e6c
-- message: merge billing and tools
-- created: 2026-11-21T10:20:00Z

-- upgrade

-- downgrade
