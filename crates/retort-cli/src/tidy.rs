//! Checks on the crate's own source: every file opens with a `//!` doc, and only the printer
//! touches stdout and stderr.

use std::fs;
use std::path::{Path, PathBuf};

/// What writes to the terminal; only `printer.rs` may contain these (and this file).
const TERMINAL_PATTERNS: [&str; 5] = ["stdout()", "stderr()", "println!", "eprintln!", "print!("];

fn rust_files(directory: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(directory).expect("source directory is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

fn crate_files() -> Vec<PathBuf> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&manifest_dir.join("src"), &mut files);
    rust_files(&manifest_dir.join("tests"), &mut files);
    files
}

#[test]
fn every_file_starts_with_a_module_doc() {
    for path in crate_files() {
        let text = fs::read_to_string(&path).expect("source file is readable");
        assert!(
            text.starts_with("//!"),
            "{} does not start with a `//!` line",
            path.display()
        );
    }
}

#[test]
fn only_the_printer_writes_to_the_terminal() {
    for path in crate_files() {
        let in_printer = path.ends_with("src/printer.rs") || path.ends_with("src/tidy.rs");
        let in_tests = path
            .components()
            .any(|component| component.as_os_str() == "tests");
        if in_printer || in_tests {
            continue;
        }
        let text = fs::read_to_string(&path).expect("source file is readable");
        for pattern in TERMINAL_PATTERNS {
            assert!(
                !text.contains(pattern),
                "{} uses `{pattern}`; print through printer.rs",
                path.display()
            );
        }
    }
}
