//! The only place that writes to the terminal. stdout carries data (revision lines, SQL);
//! stderr carries progress, warnings and errors. Output reads the same without colour; colour
//! is used only on a terminal and never when `NO_COLOR` is set.
//!
//! Writes go through `writeln!` on the locked streams rather than `println!`, so that a closed
//! pipe (`retort history | head -1`) ends the output quietly instead of panicking. The tidy
//! test in `main.rs` checks that no other file touches `stdout`, `stderr` or the print macros.

use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use console::Style;
use indicatif::ProgressDrawTarget;

/// How often progress bars may redraw per second.
const PROGRESS_REFRESH_HZ: u8 = 20;

/// How much to print, and whether in colour. Built once from the global options and the
/// environment facts `main` passes in.
#[derive(Debug)]
pub struct Printer {
    verbosity: Verbosity,
    terminal: Terminal,
    stdout_styles: Styles,
    stderr_styles: Styles,
    /// Set once stdout is closed (a broken pipe): nothing more is written to it.
    stdout_closed: AtomicBool,
}

/// `--quiet`, default, or `--verbose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// The facts about the environment that decide colour, passed in rather than looked up here.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    pub stdout_is_terminal: bool,
    pub stderr_is_terminal: bool,
    /// `NO_COLOR` is set to a non-empty value.
    pub no_color: bool,
    /// `CI` is set (to anything but empty, `0` or `false`), as CI services set it.
    pub is_ci: bool,
}

impl Terminal {
    /// The facts for this process.
    pub fn detect() -> Terminal {
        Terminal {
            stdout_is_terminal: io::stdout().is_terminal(),
            stderr_is_terminal: io::stderr().is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty()),
            is_ci: std::env::var("CI").is_ok_and(|value| !matches!(value.as_str(), "" | "0" | "false")),
        }
    }
}

#[derive(Debug, Clone)]
struct Styles {
    heading: Style,
    error: Style,
    warning: Style,
}

impl Styles {
    fn new(colour: bool) -> Styles {
        Styles {
            heading: Style::new().bold().force_styling(colour),
            error: Style::new().red().bold().force_styling(colour),
            warning: Style::new().yellow().bold().force_styling(colour),
        }
    }
}

impl Printer {
    pub fn new(verbosity: Verbosity, terminal: Terminal) -> Printer {
        Printer {
            verbosity,
            terminal,
            stdout_styles: Styles::new(terminal.stdout_is_terminal && !terminal.no_color),
            stderr_styles: Styles::new(terminal.stderr_is_terminal && !terminal.no_color),
            stdout_closed: AtomicBool::new(false),
        }
    }

    pub fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    /// The facts about the terminal this printer was made with.
    pub fn terminal(&self) -> Terminal {
        self.terminal
    }

    /// Where progress bars draw: stderr, coloured on the same terms as other stderr output
    /// (indicatif styles through console's global switch, so it is set here).
    pub fn progress_target(&self) -> ProgressDrawTarget {
        let colour = self.terminal.stderr_is_terminal && !self.terminal.no_color;
        console::set_colors_enabled(colour);
        console::set_colors_enabled_stderr(colour);
        ProgressDrawTarget::stderr_with_hz(PROGRESS_REFRESH_HZ)
    }

    /// One line of data on stdout.
    pub fn data(&self, line: impl fmt::Display) {
        self.write_stdout(format_args!("{line}\n"));
    }

    /// Data on stdout exactly as given (an SQL script, which brings its own newlines).
    pub fn data_raw(&self, text: &str) {
        self.write_stdout(format_args!("{text}"));
    }

    /// `== name ==` before a database's data, when several databases are selected.
    pub fn heading(&self, database: &str) {
        let heading = format!("== {database} ==");
        self.write_stdout(format_args!(
            "{}\n",
            self.stdout_styles.heading.apply_to(heading)
        ));
    }

    /// A progress or status line on stderr; hidden by `--quiet`.
    pub fn status(&self, line: impl fmt::Display) {
        if self.verbosity > Verbosity::Quiet {
            write_stderr(format_args!("{line}\n"));
        }
    }

    /// A detail line on stderr, shown only with `--verbose`.
    pub fn detail(&self, line: impl fmt::Display) {
        if self.verbosity == Verbosity::Verbose {
            write_stderr(format_args!("{line}\n"));
        }
    }

    /// A line on stderr that `--quiet` does not hide: how a failed run ended.
    pub fn report(&self, line: impl fmt::Display) {
        write_stderr(format_args!("{line}\n"));
    }

    /// `warning: ...` on stderr; hidden by `--quiet`.
    pub fn warning(&self, message: impl fmt::Display) {
        if self.verbosity > Verbosity::Quiet {
            write_stderr(format_args!(
                "{} {message}\n",
                self.stderr_styles.warning.apply_to("warning:")
            ));
        }
    }

    /// `error: ...` on stderr with the whole chain (as `{:#}` prints it, see [`chain_text`]);
    /// always shown.
    pub fn error(&self, error: &anyhow::Error) {
        write_stderr(format_args!(
            "{} {}\n",
            self.stderr_styles.error.apply_to("error:"),
            chain_text(error)
        ));
    }

    fn write_stdout(&self, arguments: fmt::Arguments<'_>) {
        if self.stdout_closed.load(Ordering::Relaxed) {
            return;
        }
        let mut stdout = io::stdout().lock();
        if stdout
            .write_fmt(arguments)
            .and_then(|()| stdout.flush())
            .is_err()
        {
            self.stdout_closed.store(true, Ordering::Relaxed);
        }
    }
}

/// The error and its causes joined with `: `, as `{:#}` joins them, except that a cause whose
/// text already ends the message is left out: sqlx's database error prints its cause and also
/// returns it as its source, which would otherwise say everything twice.
fn chain_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause_text = cause.to_string();
        if text.is_empty() {
            text = cause_text;
        } else if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
    }
    text
}

/// Writes to stderr; a failure to write there cannot be reported anywhere, so it is dropped.
fn write_stderr(arguments: fmt::Arguments<'_>) {
    let mut stderr = io::stderr().lock();
    let _ignored = stderr.write_fmt(arguments);
}

#[cfg(test)]
mod tests {
    use std::error::Error;
    use std::fmt;

    use super::*;

    /// Prints its cause and also returns it as its source, as sqlx's database error does.
    #[derive(Debug)]
    struct Repeating(io::Error);

    impl fmt::Display for Repeating {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "error returned from database: {}", self.0)
        }
    }

    impl Error for Repeating {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_already_in_the_message_is_printed_once() {
        let error = anyhow::Error::new(Repeating(io::Error::other("no such table: nowhere")))
            .context("database 'app'");
        assert_eq!(
            chain_text(&error),
            "database 'app': error returned from database: no such table: nowhere"
        );
        let plain = anyhow::Error::new(io::Error::other("disk full")).context("cannot write");
        assert_eq!(chain_text(&plain), "cannot write: disk full");
    }
}
