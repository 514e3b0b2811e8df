//! `retort init NAME`: scaffold `databases/NAME` (a migration crate shaped like
//! `databases/app`, with an empty `versions/`) and add `[databases.NAME]` to the config,
//! creating `config/retort.toml` when the project has none yet. In a workspace that builds its
//! own `retort` (`crates/retort-cli`), the new crate is added to that crate's dependencies, so
//! the next build carries its migrations; until then the CLI reads them from disk.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::args::InitArgs;
use crate::embedded::CLI_MANIFEST;
use crate::exit::Outcome;
use crate::paths::display_path;
use crate::printer::Printer;
use crate::settings::{self, ConfigLocation};

const CARGO_TOML_TEMPLATE: &str =
    include_str!("../../templates/migration-crate/Cargo.toml.template");
const BUILD_RS_TEMPLATE: &str = include_str!("../../templates/migration-crate/build.rs.template");
const LIB_RS_TEMPLATE: &str = include_str!("../../templates/migration-crate/lib.rs.template");

/// Why `init` refuses.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    #[error(
        "invalid database name '{name}'; expected a lowercase letter, then lowercase letters, digits and '_'"
    )]
    InvalidName { name: String },
    #[error("database '{name}' is already configured in {config}")]
    AlreadyConfigured { name: String, config: String },
    #[error("{path} already exists")]
    AlreadyExists { path: String },
    #[error("{path} has no [dependencies] table to add the new database crate to; add it by hand")]
    NoDependencies { path: String },
    #[error("cannot write {path}")]
    Write {
        path: String,
        #[source]
        source: io::Error,
    },
}

/// What `init` needs besides its arguments.
pub struct InitEnvironment<'a> {
    pub current_dir: &'a Path,
    pub explicit_config: Option<&'a Path>,
    pub env_name: Option<&'a str>,
    pub variable: &'a dyn Fn(&str) -> Option<String>,
}

pub fn init(
    environment: &InitEnvironment<'_>,
    args: &InitArgs,
    printer: &Printer,
) -> anyhow::Result<Outcome> {
    let name = args.name.as_str();
    if !is_valid_new_name(name) {
        return Err(InitError::InvalidName {
            name: name.to_owned(),
        }
        .into());
    }
    let location = settings::find_config(environment.current_dir, environment.explicit_config)
        .unwrap_or_else(|location_to_create| location_to_create);
    let config_exists = location.path.is_file();
    if config_exists {
        let settings = settings::load(&location, environment.env_name, environment.variable)?;
        if settings.databases.contains_key(name) {
            return Err(InitError::AlreadyConfigured {
                name: name.to_owned(),
                config: settings.origin().to_string(),
            }
            .into());
        }
    }
    let crate_directory = location.root.join("databases").join(name);
    let show = |path: &Path| display_path(&location.root, path);
    if crate_directory.exists() {
        return Err(InitError::AlreadyExists {
            path: show(&crate_directory),
        }
        .into());
    }
    let versions = crate_directory.join("versions");
    create_directory(&versions, &show)?;
    printer.data(format!("Creating directory {} ... done", show(&versions)));
    write_new(&versions.join(".gitkeep"), "", &show)?;
    let files = [
        (
            crate_directory.join("Cargo.toml"),
            fill(CARGO_TOML_TEMPLATE, name),
        ),
        (
            crate_directory.join("build.rs"),
            BUILD_RS_TEMPLATE.to_owned(),
        ),
        (
            crate_directory.join("src").join("lib.rs"),
            fill(LIB_RS_TEMPLATE, name),
        ),
    ];
    for (path, content) in &files {
        if let Some(parent) = path.parent() {
            create_directory(parent, &show)?;
        }
        write_new(path, content, &show)?;
        printer.data(format!("Generating {} ... done", show(path)));
    }
    add_to_config(&location, name, &show)?;
    printer.data(format!(
        "Adding [databases.{name}] to {} ... done",
        show(&location.path)
    ));
    let cli_manifest = location.root.join(CLI_MANIFEST);
    if cli_manifest.is_file() {
        add_to_cli_dependencies(&cli_manifest, name, &show)?;
        printer.data(format!(
            "Adding {} to the dependencies of {} ... done",
            package_name(name),
            show(&cli_manifest)
        ));
    }
    Ok(Outcome::Success)
}

/// `NAME-migrations`, dashes for underscores.
fn package_name(name: &str) -> String {
    format!("{}-migrations", name.replace('_', "-"))
}

/// Adds `NAME-migrations = { path = "../../databases/NAME" }` at the end of the
/// `[dependencies]` table of the CLI's manifest, so its build script carries the new crate.
fn add_to_cli_dependencies(
    manifest: &Path,
    name: &str,
    show: &dyn Fn(&Path) -> String,
) -> Result<(), InitError> {
    let error = |source| InitError::Write {
        path: show(manifest),
        source,
    };
    let text = fs::read_to_string(manifest).map_err(error)?;
    let line = format!(
        "{} = {{ path = \"../../databases/{name}\" }}",
        package_name(name)
    );
    let updated = insert_dependency(&text, &line).ok_or_else(|| InitError::NoDependencies {
        path: show(manifest),
    })?;
    fs::write(manifest, updated).map_err(error)
}

/// `text` with `line` added as the last entry of its `[dependencies]` table (before the blank
/// lines and comments that lead into the next table); `None` without such a table.
fn insert_dependency(text: &str, line: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|line| line.trim() == "[dependencies]")?;
    let next_table = lines
        .iter()
        .enumerate()
        .skip(start + 1)
        .find(|(_, line)| line.trim_start().starts_with('['))
        .map_or(lines.len(), |(index, _)| index);
    let mut insert_at = next_table;
    while insert_at > start + 1 {
        let previous = lines[insert_at - 1].trim();
        if previous.is_empty() || previous.starts_with('#') {
            insert_at -= 1;
        } else {
            break;
        }
    }
    let mut updated: Vec<&str> = lines.clone();
    updated.insert(insert_at, line);
    let mut result = updated.join("\n");
    result.push('\n');
    Some(result)
}

/// Names `init` accepts: usable as a config key, in `depends_on: db:rev`, in a crate name and
/// in an environment variable (which figment lowercases).
fn is_valid_new_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The template with `{name}` and `{package}` (`NAME-migrations`, dashes for underscores).
fn fill(template: &str, name: &str) -> String {
    template
        .replace("{package}", &package_name(name))
        .replace("{name}", name)
}

fn create_directory(path: &Path, show: &dyn Fn(&Path) -> String) -> Result<(), InitError> {
    fs::create_dir_all(path).map_err(|source| InitError::Write {
        path: show(path),
        source,
    })
}

/// Writes a file that must not exist yet.
fn write_new(path: &Path, content: &str, show: &dyn Fn(&Path) -> String) -> Result<(), InitError> {
    let write = || -> io::Result<()> {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?;
        file.write_all(content.as_bytes())
    };
    write().map_err(|source| InitError::Write {
        path: show(path),
        source,
    })
}

/// Appends the new database's table to the config file, creating the file if needed.
fn add_to_config(
    location: &ConfigLocation,
    name: &str,
    show: &dyn Fn(&Path) -> String,
) -> Result<(), InitError> {
    let entry = format!("[databases.{name}]\nurl = \"sqlite:data/{name}.db\"\n");
    let path: &PathBuf = &location.path;
    let error = |source| InitError::Write {
        path: show(path),
        source,
    };
    let existing = match fs::read_to_string(path) {
        Ok(existing) => existing,
        Err(source) if source.kind() == io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(error(source)),
    };
    let separator = match existing.as_str() {
        "" => "",
        text if text.ends_with("\n\n") => "",
        text if text.ends_with('\n') => "\n",
        _ => "\n\n",
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(error)?;
    }
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(error)?;
    file.write_all(format!("{separator}{entry}").as_bytes())
        .map_err(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_use_dashes() {
        assert!(
            fill(CARGO_TOML_TEMPLATE, "tool_registry")
                .contains("name = \"tool-registry-migrations\"")
        );
    }

    #[test]
    fn the_build_script_is_the_one_of_databases_app() {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../databases/app/build.rs");
        if let Ok(shipped) = fs::read_to_string(shipped) {
            assert_eq!(
                shipped, BUILD_RS_TEMPLATE,
                "update templates/migration-crate/build.rs.template"
            );
        }
    }

    #[test]
    fn the_dependency_goes_last_in_its_table() {
        let manifest = "[package]\nname = \"cli\"\n\n[dependencies]\nanyhow = \"1\"\n# databases\napp-migrations = { path = \"a\" }\n\n# tests\n[dev-dependencies]\nx = \"1\"\n";
        assert_eq!(
            insert_dependency(manifest, "new-migrations = { path = \"n\" }").as_deref(),
            Some(
                "[package]\nname = \"cli\"\n\n[dependencies]\nanyhow = \"1\"\n# databases\napp-migrations = { path = \"a\" }\nnew-migrations = { path = \"n\" }\n\n# tests\n[dev-dependencies]\nx = \"1\"\n"
            )
        );
        assert_eq!(
            insert_dependency("[dependencies]\n", "n = 1").as_deref(),
            Some("[dependencies]\nn = 1\n")
        );
        assert_eq!(insert_dependency("[package]\n", "n = 1"), None);
    }

    #[test]
    fn names_fit_crates_and_variables() {
        assert!(is_valid_new_name("tool_registry"));
        assert!(!is_valid_new_name("Tool"));
        assert!(!is_valid_new_name("1db"));
        assert!(!is_valid_new_name("tool-registry"));
    }
}
