//! What every command gets: the project, the databases `--db` selected, and the printer.

use std::collections::BTreeMap;
use std::sync::Arc;

use retort_core::MigrationSet;
use retort_db::BackendOptions;

use crate::printer::Printer;
use crate::project::{Project, ProjectError};
use crate::settings::{ConfigError, DatabaseSettings};

/// The project, the selected databases (in the order they act) and the printer.
#[derive(Debug)]
pub struct Context<'a> {
    pub project: &'a Project,
    pub databases: Vec<&'a DatabaseSettings>,
    pub printer: &'a Printer,
}

impl<'a> Context<'a> {
    /// Prints `== name ==` before a database's output when more than one database is selected.
    pub fn heading(&self, database: &DatabaseSettings) {
        if self.databases.len() > 1 {
            self.printer.heading(&database.name);
        }
    }

    /// The selected databases with their migrations; the problems of every file of every
    /// selected database are reported together.
    pub fn load_selected(
        &self,
    ) -> Result<Vec<(&'a DatabaseSettings, Arc<MigrationSet>)>, ProjectError> {
        let mut sets = self.project.load_all(self.databases.iter().copied())?;
        Ok(self
            .databases
            .iter()
            .filter_map(|database| Some((*database, sets.remove(&database.name)?)))
            .collect())
    }

    /// Every configured database's migrations, by name.
    pub fn load_every_database(&self) -> Result<BTreeMap<String, Arc<MigrationSet>>, ProjectError> {
        self.project
            .load_all(self.project.settings.databases.values())
    }

    /// How to connect to `database`; an error when it has no URL.
    pub fn backend_options(
        &self,
        database: &DatabaseSettings,
    ) -> Result<BackendOptions, ConfigError> {
        let url = database
            .require_url(self.project.settings.origin())?
            .clone();
        // The backend refuses `schema` and `extensions` for engines that have no such thing.
        Ok(BackendOptions {
            url,
            version_table: database.version_table.clone(),
            history_table: database.history_table.clone(),
            connect_timeout: database.connect_timeout,
            schema: database.schema.clone(),
            create_database: database.create_database,
            extensions: database.extensions.clone(),
        })
    }
}
