//! How a run is shown: progress bars, one plain line per event, or JSON lines; chosen once
//! from facts about the environment that `main` passes in (nextest's `resolve(is_terminal,
//! is_ci)`), and fed the run's events one at a time.

use std::time::Duration;

use retort_orchestrator::{Event, RunReport};
use serde::Serialize;

use crate::args::RunFormat;
use crate::printer::{Printer, Verbosity};
use crate::progress::ProgressBars;
use crate::render::{EventLine, PlainEvents};

/// How often bars redraw while nothing happens, so the elapsed time moves.
const STEADY_TICK: Duration = Duration::from_millis(250);

/// The display of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayMode {
    /// One bar per database on stderr.
    Bars,
    /// One plain line per event on stderr.
    Lines,
    /// One JSON object per event, then a summary object, on stdout.
    Json,
}

/// Chooses the display: JSON when asked for; bars when stderr is a terminal, outside CI, and
/// neither `--quiet` nor `--verbose` is given (`--verbose` wants every line, `--quiet` none);
/// plain lines otherwise.
pub fn resolve(
    format: RunFormat,
    stderr_is_terminal: bool,
    is_ci: bool,
    verbosity: Verbosity,
) -> DisplayMode {
    match format {
        RunFormat::Json => DisplayMode::Json,
        RunFormat::Text if stderr_is_terminal && !is_ci && verbosity == Verbosity::Normal => {
            DisplayMode::Bars
        }
        RunFormat::Text => DisplayMode::Lines,
    }
}

/// Renders a run's events as its [`DisplayMode`] says.
#[derive(Debug)]
pub enum Reporter {
    Bars(ProgressBars),
    Lines(PlainEvents),
    Json,
}

/// The object a JSON run ends with.
#[derive(Debug, Serialize)]
struct Summary<'a> {
    event: &'static str,
    run_id: &'a str,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<u64>,
    /// Why the run was refused before it started.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    databases: &'a [retort_orchestrator::DatabaseReport],
}

impl Reporter {
    pub fn new(mode: DisplayMode, printer: &Printer) -> Reporter {
        match mode {
            DisplayMode::Bars => Reporter::Bars(ProgressBars::new(
                printer.progress_target(),
                Some(STEADY_TICK),
            )),
            DisplayMode::Lines => Reporter::Lines(PlainEvents::default()),
            DisplayMode::Json => Reporter::Json,
        }
    }

    /// Shows one event.
    pub fn report(&mut self, event: &Event, printer: &Printer) {
        if let Event::StepWarning { database, revision, warning } = event {
            let line = format!("{database}: {revision}: {warning}");
            match self {
                Reporter::Bars(bars) => bars.suspend(|| printer.warning(&line)),
                Reporter::Lines(_) => printer.warning(&line),
                Reporter::Json => printer.data(json_line(event)),
            }
            return;
        }
        match self {
            Reporter::Bars(bars) => bars.update(event),
            Reporter::Lines(lines) => match lines.update(event) {
                Some(EventLine::Status(line)) => printer.status(line),
                Some(EventLine::Detail(line)) => printer.detail(line),
                None => {}
            },
            Reporter::Json => printer.data(json_line(event)),
        }
    }

    /// Whether the run's data goes to stdout as JSON (so the summary table must not).
    pub fn is_json(&self) -> bool {
        matches!(self, Reporter::Json)
    }

    /// The JSON summary of a finished run.
    pub fn summary(&self, report: &RunReport, printer: &Printer) {
        if self.is_json() {
            let duration_ms = u64::try_from(report.duration.as_millis()).unwrap_or(u64::MAX);
            let summary = Summary {
                event: "summary",
                run_id: &report.run_id,
                ok: report.is_success(),
                duration_ms: Some(duration_ms),
                error: None,
                databases: &report.databases,
            };
            printer.data(json_line(&summary));
        }
    }

    /// The JSON summary of a run refused before it started; `error` is the whole chain.
    pub fn refused(&self, run_id: &str, error: String, printer: &Printer) {
        if self.is_json() {
            let summary = Summary {
                event: "summary",
                run_id,
                ok: false,
                duration_ms: None,
                error: Some(error),
                databases: &[],
            };
            printer.data(json_line(&summary));
        }
    }
}

/// One JSON line; serializing these plain structs cannot fail, and would print `{}` if it did.
fn json_line(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_only_on_a_terminal_outside_ci_at_normal_verbosity() {
        use DisplayMode::{Bars, Json, Lines};
        assert_eq!(
            resolve(RunFormat::Text, true, false, Verbosity::Normal),
            Bars
        );
        assert_eq!(
            resolve(RunFormat::Text, false, false, Verbosity::Normal),
            Lines
        );
        assert_eq!(
            resolve(RunFormat::Text, true, true, Verbosity::Normal),
            Lines
        );
        assert_eq!(
            resolve(RunFormat::Text, true, false, Verbosity::Quiet),
            Lines
        );
        assert_eq!(
            resolve(RunFormat::Text, true, false, Verbosity::Verbose),
            Lines
        );
        assert_eq!(
            resolve(RunFormat::Json, true, false, Verbosity::Normal),
            Json
        );
        assert_eq!(
            resolve(RunFormat::Json, false, true, Verbosity::Quiet),
            Json
        );
    }
}
