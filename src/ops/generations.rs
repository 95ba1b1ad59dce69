//! `paii generations list`, `paii rollback`, `paii switch N`.

use serde::Serialize;

use super::{Context, Error};
use crate::generation::Generations;

#[derive(Debug, Serialize)]
pub struct ListedGeneration {
    pub number: u32,
    /// UTC, RFC 3339.
    pub created: String,
    pub parent: Option<u32>,
    pub plugins: usize,
    pub current: bool,
}

pub fn list(_ctx: &Context) -> Result<Vec<ListedGeneration>, Error> {
    let generations = Generations::new(&crate::paths::paii_home());
    let current = generations.current();
    Ok(generations
        .list()?
        .into_iter()
        .map(|g| ListedGeneration {
            number: g.number,
            created: utc(g.created),
            parent: g.parent,
            plugins: g.plugins.len(),
            current: Some(g.number) == current,
        })
        .collect())
}

/// Switches to generation `n` (or, without one, to the current one's parent).
pub fn switch(ctx: &Context, n: Option<u32>) -> Result<u32, Error> {
    let _guard = ctx.lock_home(if n.is_some() { "switch" } else { "rollback" })?;
    let generations = Generations::new(&crate::paths::paii_home());
    match n {
        Some(n) => {
            generations.switch(n)?;
            Ok(n)
        }
        None => Ok(generations.rollback()?),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch.
fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates_are_right() {
        assert_eq!(super::utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::utc(1_795_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(super::utc(951_825_600), "2000-02-29T12:00:00Z");
    }
}
