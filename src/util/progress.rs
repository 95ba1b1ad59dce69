//! Progress of long work: on a terminal a bar per item in flight under an
//! overall bar; in logs and CI one line per finished item; nothing with `-q`.

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

pub enum Progress {
    Bars { multi: MultiProgress, total: ProgressBar },
    Lines,
    Silent,
}

/// One item in flight.
pub struct Item<'a> {
    progress: &'a Progress,
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(total: u64, label: &str, quiet: bool, terminal: bool) -> Progress {
        if quiet {
            return Progress::Silent;
        }
        if !terminal {
            return Progress::Lines;
        }
        let multi = MultiProgress::new();
        let bar = multi.add(ProgressBar::new(total));
        let style = ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        Progress::Bars { multi, total: bar }
    }

    /// Starts an item: a spinner with `label` on a terminal.
    pub fn start(&self, label: &str) -> Item<'_> {
        let bar = match self {
            Progress::Bars { multi, .. } => {
                let spinner = multi.add(ProgressBar::new_spinner());
                spinner.set_style(ProgressStyle::with_template("  {spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
                spinner.set_message(label.to_string());
                spinner.enable_steady_tick(Duration::from_millis(100));
                Some(spinner)
            }
            _ => None,
        };
        Item { progress: self, bar }
    }

    pub fn finish(&self) {
        if let Progress::Bars { multi, total } = self {
            total.finish_and_clear();
            let _ = multi.clear();
        }
    }
}

impl Item<'_> {
    /// The item is done; `line` says how it went.
    pub fn done(self, line: &str) {
        match (self.progress, self.bar) {
            (Progress::Bars { multi, total }, Some(bar)) => {
                bar.finish_and_clear();
                multi.remove(&bar);
                let _ = multi.println(line);
                total.inc(1);
            }
            (Progress::Lines, _) => eprintln!("{line}"),
            _ => {}
        }
    }
}
