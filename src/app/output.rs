//! Where a command's output goes. People's text goes to stdout, unless
//! stdout carries a file (the JSON report with `--json -`, or an output
//! file named `-`): then the text moves to stderr so the file can be piped.
//! Notes beside the result (`loadtop: …`, `wrote …`) always go to stderr.

use std::io::Write;
use std::path::Path;

use crate::plan::ReportDest;
use crate::report::{OutputFiles, Report};

/// The sink every command prints through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Output {
    text_on_stderr: bool,
}

impl Output {
    /// stdout is for people's text.
    pub fn text_on_stdout() -> Output {
        Output {
            text_on_stderr: false,
        }
    }

    /// `stdout_carries_file`: some file is written to stdout.
    pub fn new(stdout_carries_file: bool) -> Output {
        Output {
            text_on_stderr: stdout_carries_file,
        }
    }

    /// For a run: the JSON report and the extra files are the candidates
    /// for stdout (at most one of them, `check_destinations` sees to that).
    pub fn for_run(report: Option<&ReportDest>, outputs: &OutputFiles) -> Output {
        Output::new(matches!(report, Some(ReportDest::Stdout)) || outputs.uses_stdout())
    }

    pub fn text_on_stderr(&self) -> bool {
        self.text_on_stderr
    }

    /// People's text, written whole and flushed.
    pub fn text(&self, text: &str) {
        if self.text_on_stderr {
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
        } else {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
    }

    /// After a run's text: the JSON report itself when stdout carries it,
    /// else the path it was written to (if any) as a line of text.
    pub fn report(&self, report: &Report, json_on_stdout: bool, written_to: Option<&Path>) {
        if json_on_stdout {
            self.json(report);
        } else if let Some(path) = written_to {
            self.text(&format!("report: {}\n", path.display()));
        }
    }

    /// A document for programs, pretty-printed on stdout.
    pub fn json<T: serde::Serialize>(&self, value: &T) {
        if let Ok(json) = serde_json::to_string_pretty(value) {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{json}");
            let _ = out.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_leaves_stdout_to_a_file_written_there() {
        let none = OutputFiles::default();
        assert!(!Output::for_run(None, &none).text_on_stderr());
        assert!(Output::for_run(Some(&ReportDest::Stdout), &none).text_on_stderr());
        let csv_on_stdout = OutputFiles {
            csv: Some("-".into()),
            ..OutputFiles::default()
        };
        assert!(Output::for_run(None, &csv_on_stdout).text_on_stderr());
        let csv_in_file = OutputFiles {
            csv: Some("x.csv".into()),
            ..OutputFiles::default()
        };
        assert!(!Output::for_run(None, &csv_in_file).text_on_stderr());
    }
}
