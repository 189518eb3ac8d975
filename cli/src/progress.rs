//! Progress of a broadcast on stderr: a bar redrawn in place on a terminal, a plain line
//! at every tenth otherwise.

use apigw_management::Progress;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Draws progress reports.
pub struct ProgressBar {
    label: String,
    terminal: bool,
    state: Mutex<(Option<Instant>, usize)>,
}

impl ProgressBar {
    /// A bar for `label`; a terminal is detected on stderr.
    pub fn new(label: &str) -> Self {
        ProgressBar {
            label: label.to_string(),
            terminal: std::io::stderr().is_terminal(),
            state: Mutex::new((None, 0)),
        }
    }

    /// True when stderr is a terminal (the bar is redrawn in place).
    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// Reports one step.
    pub fn update(&self, p: &Progress) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let finished = p.done >= p.total;
        let counts = format!(
            "{}/{} done, {} delivered, {} gone, {} failed",
            p.done, p.total, p.delivered, p.gone, p.failed
        );
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let due = state
                .0
                .is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
            if !(due || finished) {
                return;
            }
            state.0 = Some(Instant::now());
            let width = 30;
            let filled = (p.done * width).checked_div(p.total).unwrap_or(width);
            let _ = write!(
                err,
                "\r{} [{}{}] {counts}",
                self.label,
                "#".repeat(filled),
                "-".repeat(width - filled)
            );
            if finished {
                let _ = writeln!(err);
            }
        } else {
            let tenth = (p.done * 10).checked_div(p.total).unwrap_or(10);
            if tenth > state.1 || (finished && state.1 < 10) {
                state.1 = tenth.max(if finished { 10 } else { 0 });
                let _ = writeln!(err, "{}: {counts}", self.label);
            }
        }
    }
}
