//! Progress of long work: a bar on a terminal, one line per item in logs
//! and CI, nothing with `-q`.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

pub enum Progress {
    Bar(ProgressBar),
    Lines,
    Silent,
}

impl Progress {
    pub fn new(total: u64, label: &str, quiet: bool, terminal: bool) -> Progress {
        if quiet {
            return Progress::Silent;
        }
        if !terminal {
            return Progress::Lines;
        }
        let bar = ProgressBar::new(total);
        let style = ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress::Bar(bar)
    }

    /// One item done.
    pub fn step(&self, line: &str) {
        match self {
            Progress::Bar(bar) => {
                bar.set_message(line.to_string());
                bar.inc(1);
            }
            Progress::Lines => eprintln!("{line}"),
            Progress::Silent => {}
        }
    }

    pub fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
