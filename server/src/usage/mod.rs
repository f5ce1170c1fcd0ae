//! Usage: the pixel (`POST /api/v1/events`), in-memory aggregation, the flusher that writes
//! `usage_counters_daily`, and the members' daily report ([`http`]).
//!
//! `POST /api/v1/events` must answer fast and never wait on the database, so events are summed
//! into a map keyed by (day, instance, token) and written in batches of upserts by a
//! background flusher: every flush interval, sooner when the map reaches `max_keys`, and once more
//! on graceful shutdown after the HTTP server has drained. A hard crash (SIGKILL, power loss)
//! loses what was recorded since the last flush: at most one flush interval of counts.

pub(crate) mod db;
mod flush;
pub(crate) mod http;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;
use uuid::Uuid;

pub(crate) use self::flush::start_flusher;
use crate::{state::AppState, tokens::verify::Verified};

/// Event kinds: one definition shared with the runtime that sends them.
pub(crate) use ck_runtime::metrics::Kind;

/// The grouping of `usage_counters_daily`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct UsageKey {
    /// UTC day, `YYYY-MM-DD`.
    pub(crate) day: String,
    /// Widget instance; `None` for page-level events (a load before any widget mounted).
    pub(crate) instance_id: Option<Uuid>,
    /// Embed token id (not the token).
    pub(crate) token_id: Uuid,
}

/// Summed counters for one key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Loads.
    pub(crate) loads: i64,
    /// Views.
    pub(crate) views: i64,
    /// Interactions.
    pub(crate) interactions: i64,
    /// Errors.
    pub(crate) errors: i64,
}

impl Counts {
    fn add(&mut self, kind: Kind, n: i64) {
        let slot = match kind {
            Kind::Load => &mut self.loads,
            Kind::View => &mut self.views,
            Kind::Interaction => &mut self.interactions,
            Kind::Error => &mut self.errors,
        };
        *slot = slot.saturating_add(n);
    }

    fn merge(&mut self, other: Counts) {
        self.loads = self.loads.saturating_add(other.loads);
        self.views = self.views.saturating_add(other.views);
        self.interactions = self.interactions.saturating_add(other.interactions);
        self.errors = self.errors.saturating_add(other.errors);
    }

    /// Total of all kinds.
    pub(crate) fn total(&self) -> i64 {
        self.loads + self.views + self.interactions + self.errors
    }
}

/// The shared aggregate. Cheap to record into; drained by the flusher.
#[derive(Debug)]
pub(crate) struct Aggregator {
    map: Mutex<HashMap<UsageKey, Counts>>,
    max_keys: usize,
}

impl Aggregator {
    /// A new aggregate that asks for an early flush at `max_keys` distinct keys.
    pub(crate) fn new(max_keys: usize) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            max_keys: max_keys.max(1),
        }
    }

    /// Adds `n` events of `kind` under `key`. Returns true when the map is full enough that the
    /// flusher should run now.
    pub(crate) fn record(&self, key: UsageKey, kind: Kind, n: i64) -> bool {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key).or_default().add(kind, n);
        map.len() >= self.max_keys
    }

    /// Records a pre-validated batch atomically: either all of it is counted or none.
    pub(crate) fn record_all(
        &self,
        items: impl IntoIterator<Item = (UsageKey, Kind, i64)>,
    ) -> bool {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        for (key, kind, n) in items {
            map.entry(key).or_default().add(kind, n);
        }
        map.len() >= self.max_keys
    }

    /// Takes everything recorded so far.
    pub(crate) fn drain(&self) -> Vec<(UsageKey, Counts)> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *map).into_iter().collect()
    }

    /// Puts a batch back after a failed write so nothing is lost; it merges with newer counts.
    pub(crate) fn restore(&self, batch: Vec<(UsageKey, Counts)>) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        for (key, counts) in batch {
            map.entry(key).or_default().merge(counts);
        }
    }

    /// Number of distinct keys waiting.
    pub(crate) fn pending_keys(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// The process's aggregate plus the flusher's wake-up (a field of `AppState`).
pub(crate) struct Usage {
    pub(crate) agg: Aggregator,
    wake: Notify,
    /// When the flusher's writes started failing (logged once, and again when they recover).
    pub(crate) failing_since: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Usage {
    /// An empty aggregate that asks for an early flush at `max_keys` distinct keys.
    pub(crate) fn new(max_keys: usize) -> Self {
        Self {
            agg: Aggregator::new(max_keys),
            wake: Notify::new(),
            failing_since: std::sync::Mutex::new(None),
        }
    }

    /// Records a validated batch; wakes the flusher when the aggregate is full.
    pub(crate) fn record_all(&self, items: impl IntoIterator<Item = (UsageKey, Kind, i64)>) {
        if self.agg.record_all(items) {
            self.wake.notify_one();
        }
    }
}

/// Counts `n` events for an instance from another route (a stored submission is an interaction).
pub(crate) fn count(state: &AppState, token: &Verified, instance: Uuid, kind: Kind, n: i64) {
    let key = UsageKey {
        day: utc_day_now(),
        instance_id: Some(instance),
        token_id: token.id,
    };
    let usage = state.usage();
    if usage.agg.record(key, kind, n) {
        usage.wake.notify_one();
    }
}

/// Today's UTC date as `YYYY-MM-DD`.
pub(crate) fn utc_day_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    utc_day(secs)
}

/// The UTC date of a unix timestamp (Howard Hinnant's civil-from-days).
pub(crate) fn utc_day(unix_secs: i64) -> String {
    let z = unix_secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// How many days the dashboard's usage report covers (today included).
pub(crate) const REPORT_DAYS: i64 = 7;

/// The last [`REPORT_DAYS`] UTC days of a workspace (or one widget): every day present, zero
/// where nothing was counted, oldest first; the totals; and (workspace-wide) each widget's totals.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Report {
    /// First day, `YYYY-MM-DD`.
    pub(crate) from: String,
    /// Last day (today, UTC).
    pub(crate) to: String,
    /// One entry per day, oldest first.
    pub(crate) days: Vec<db::DayTotals>,
    /// Sums over the days (`day` is empty).
    pub(crate) totals: db::DayTotals,
    /// Per-widget sums (workspace-wide reports only), widgets without traffic absent.
    pub(crate) widgets: Vec<db::WidgetTotals>,
}

/// The report of workspace `ws` (or only `instance`) as member `user` sees it, ending today
/// (what is flushed so far: counts still in memory appear after the next flush).
pub(crate) async fn report(
    state: &AppState,
    user: &crate::users::AuthUser,
    ws: Uuid,
    instance: Option<Uuid>,
) -> Result<Report, crate::error::Error> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let days: Vec<String> = (0..REPORT_DAYS)
        .rev()
        .map(|back| utc_day(now - back * 86_400))
        .collect();
    let from = days[0].clone();
    let mut tx = state.db().begin(&user.actor()).await?;
    if !crate::workspaces::db::is_member(&mut tx, user.id, ws).await? {
        return Err(crate::error::Error::not_found("workspace"));
    }
    let rows = db::per_day(&mut tx, user.id, ws, instance, &from).await?;
    let widgets = match instance {
        None => db::per_widget(&mut tx, user.id, ws, &from).await?,
        Some(_) => Vec::new(),
    };
    tx.commit().await?;
    Ok(fill_days(&days, rows, widgets))
}

/// The report over `days` (oldest first) from the rows the database had: zero days filled in.
fn fill_days(days: &[String], rows: Vec<db::DayTotals>, widgets: Vec<db::WidgetTotals>) -> Report {
    let mut totals = db::DayTotals::default();
    let filled: Vec<db::DayTotals> = days
        .iter()
        .map(|day| {
            let row = rows
                .iter()
                .find(|r| &r.day == day)
                .cloned()
                .unwrap_or_else(|| db::DayTotals {
                    day: day.clone(),
                    ..Default::default()
                });
            totals.loads += row.loads;
            totals.views += row.views;
            totals.interactions += row.interactions;
            totals.errors += row.errors;
            row
        })
        .collect();
    Report {
        from: days.first().cloned().unwrap_or_default(),
        to: days.last().cloned().unwrap_or_default(),
        days: filled,
        totals,
        widgets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u128) -> UsageKey {
        UsageKey {
            day: "2026-11-25".into(),
            instance_id: Some(Uuid::from_u128(i)),
            token_id: Uuid::from_u128(2),
        }
    }

    #[test]
    fn sums_per_key_and_kind() {
        let agg = Aggregator::new(100);
        agg.record(key(10), Kind::View, 2);
        agg.record(key(10), Kind::View, 3);
        agg.record(key(10), Kind::Load, 1);
        agg.record(key(11), Kind::Error, 1);
        let mut batch = agg.drain();
        batch.sort_by_key(|x| x.0.instance_id);
        assert_eq!(batch.len(), 2);
        assert_eq!(
            batch[0].1,
            Counts {
                loads: 1,
                views: 5,
                interactions: 0,
                errors: 0
            }
        );
        assert_eq!(batch[1].1.errors, 1);
        assert_eq!(agg.pending_keys(), 0);
    }

    #[test]
    fn asks_for_flush_at_size() {
        let agg = Aggregator::new(2);
        assert!(!agg.record(key(10), Kind::View, 1));
        assert!(agg.record(key(11), Kind::View, 1));
    }

    #[test]
    fn restore_merges_with_new_counts() {
        let agg = Aggregator::new(10);
        agg.record(key(10), Kind::View, 2);
        let batch = agg.drain();
        agg.record(key(10), Kind::View, 1);
        agg.restore(batch);
        assert_eq!(agg.drain()[0].1.views, 3);
    }

    #[test]
    fn kinds_parse_strictly() {
        assert_eq!(Kind::parse("view"), Some(Kind::View));
        assert_eq!(Kind::parse("View"), None);
        assert_eq!(Kind::parse("click"), None);
    }

    #[test]
    fn reports_fill_missing_days_with_zero() {
        let days: Vec<String> = (23..=29).map(|d| format!("2026-11-{d}")).collect();
        let row = |day: &str, views| db::DayTotals {
            day: day.into(),
            views,
            ..Default::default()
        };
        let report = fill_days(
            &days,
            vec![row("2026-11-24", 3), row("2026-11-29", 4)],
            vec![],
        );
        let views: Vec<i64> = report.days.iter().map(|d| d.views).collect();
        assert_eq!(views, [0, 3, 0, 0, 0, 0, 4]);
        assert_eq!(report.totals.views, 7);
        assert_eq!(
            (report.from.as_str(), report.to.as_str()),
            ("2026-11-23", "2026-11-29")
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(utc_day(0), "1970-01-01");
        assert_eq!(utc_day(951_782_400), "2000-02-29");
        assert_eq!(utc_day(1_795_996_799), "2026-11-29");
        assert_eq!(utc_day(-1), "1969-12-31");
    }
}
