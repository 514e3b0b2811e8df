//! A data migration: fill the new `users.display_name` column from each user's email (the part
//! before the `@`), in batches of ids, each committed on its own (its file says
//! `transaction: false`), reporting progress after each batch. Only rows still without a
//! display name are updated, so running it again after an interruption does no harm.

use retort_migration::{Dialect, MigrationContext, MigrationError, RustMigration};

/// How many ids each `UPDATE` covers.
const BATCH_IDS: i64 = 500;

/// `backfill_users_display_name` in `versions/9b3d5f7a2c48_backfill_users_display_name.sql`.
pub struct BackfillUsersDisplayName;

#[async_trait::async_trait]
impl RustMigration for BackfillUsersDisplayName {
    async fn upgrade(&self, context: &mut MigrationContext<'_>) -> Result<(), MigrationError> {
        let local_part = match context.dialect() {
            Dialect::Sqlite => "substr(email, 1, instr(email, '@') - 1)",
            Dialect::Postgres => "split_part(email, '@', 1)",
            Dialect::Mysql => "SUBSTRING_INDEX(email, '@', 1)",
        };
        let bounds = context
            .fetch_integers("SELECT MIN(id) FROM users UNION ALL SELECT MAX(id) FROM users")
            .await?;
        let (Some(Some(first)), Some(Some(last))) = (bounds.first(), bounds.get(1)) else {
            context.progress(0, Some(0));
            return Ok(());
        };
        let (first, last) = (*first, *last);
        let total = ids_between(first, last);
        context.progress(0, Some(total));
        let mut start = first;
        while start <= last {
            let end = start.saturating_add(BATCH_IDS);
            context
                .execute(&format!(
                    "UPDATE users SET display_name = {local_part} \
                     WHERE id >= {start} AND id < {end} AND display_name IS NULL"
                ))
                .await?;
            context.progress(
                ids_between(first, end.min(last.saturating_add(1)) - 1),
                Some(total),
            );
            start = end;
        }
        Ok(())
    }

    async fn downgrade(&self, context: &mut MigrationContext<'_>) -> Result<(), MigrationError> {
        context
            .execute("UPDATE users SET display_name = NULL WHERE display_name IS NOT NULL")
            .await?;
        context.progress(1, Some(1));
        Ok(())
    }
}

/// How many ids `first..=last` holds.
fn ids_between(first: i64, last: i64) -> u64 {
    u64::try_from(last.saturating_sub(first).saturating_add(1)).unwrap_or(0)
}

#[cfg(test)]
mod tests;
