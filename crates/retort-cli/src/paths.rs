//! How paths appear in output: relative to the project root when inside it, so messages read
//! the same on every machine (`databases/app/versions/3f1c2a9b7d10_create_users.sql`).

use std::path::{Component, Path};

/// `path` relative to `root` when it is inside it, else `path` as it is; `/` separated.
pub fn display_path(root: &Path, path: &Path) -> String {
    let shown = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = shown
        .components()
        .filter(|component| !matches!(component, Component::CurDir))
        .map(|component| match component {
            Component::RootDir => String::new(),
            other => other.as_os_str().to_string_lossy().into_owned(),
        })
        .collect();
    match parts.as_slice() {
        [] => ".".to_owned(),
        [root_only] if root_only.is_empty() => "/".to_owned(),
        _ => parts.join("/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_the_root_is_relative() {
        let root = Path::new("/project");
        assert_eq!(
            display_path(root, Path::new("/project/config/retort.toml")),
            "config/retort.toml"
        );
        assert_eq!(
            display_path(root, Path::new("/elsewhere/retort.toml")),
            "/elsewhere/retort.toml"
        );
        assert_eq!(display_path(root, Path::new("/project")), ".");
    }
}
