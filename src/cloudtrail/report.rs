//! The report: per Airflow key, what AWS logged (calls, rate, cadence per caller, cost at
//! the observed rate) beside what dagsafe found in the code (its call sites, and whether one
//! runs at parse time), led by what costs money.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::checker::LookupKind;
use crate::printer::Paths;
use crate::printer::escape::terminal;
use crate::registry::Rule;
use crate::run::FileReport;

use super::names::Kind;
use super::read::{Call, Service, Tally};

/// Calls of one caller closer together than this are one parse (several call sites of one
/// key in a file, or a retry).
const BURST_MS: i64 = 2_000;
/// Fewer intervals than this between a key's parses say nothing about its cadence.
const MIN_INTERVALS: usize = 5;
/// The share of intervals within [`STEADY_BAND`] of the median that makes a cadence steady.
const STEADY_SHARE: f64 = 0.6;
const STEADY_BAND: (f64, f64) = (0.8, 1.25);
/// How far above the expected parse interval a steady cadence may be and still be parsing:
/// `min_file_process_interval` is a minimum, and a busy DAG processor takes longer.
const PARSE_SLACK: (f64, f64) = (0.8, 4.0);
/// The widest sparkline, in marks.
const SPARK_WIDTH: usize = 48;
const MS_PER_HOUR: i64 = 3_600_000;
const MS_PER_DAY: f64 = 86_400_000.0;

/// What the report is measured against.
#[derive(Clone, Debug)]
pub struct Expectations {
    /// Seconds between two parses of a file: `min_file_process_interval`, or the secrets
    /// cache's TTL when Airflow caches lookups during parsing.
    pub parse_interval: f64,
    /// Where that figure comes from, for the report.
    pub parse_interval_source: String,
    pub price_per_10k_calls: f64,
    /// Calls a day the cost model expects of each key (`crate::cost`): its parse-time sites
    /// that reach AWS, at DAG-processor and task-start parses.
    pub expected_per_day: BTreeMap<(LookupKind, String), f64>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A steady interval near the parse interval: parse-time polling.
    ParseTime,
    /// A steady interval, but not the parse interval (a sensor, a cron job elsewhere).
    OtherCadence,
    /// No steady interval: bursts, as task runs make.
    TaskTime,
    /// Too few calls to tell.
    TooFew,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Caller {
    pub caller: String,
    pub calls: usize,
    /// The median interval between this caller's parses, in seconds.
    pub median_interval_s: Option<f64>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Site {
    pub filename: String,
    pub row: usize,
    pub column: usize,
    pub parse_time: bool,
    /// The key is not fully known in the code; its known start fits this key.
    pub dynamic: bool,
    /// dagsafe's message for a parse-time site (with its chain), when its rule reported it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct KeyReport {
    pub kind: Kind,
    pub key: String,
    pub service: Service,
    /// The secret names AWS logged for this key (as the callers sent them, up to 3).
    pub secret_ids: Vec<String>,
    pub calls: usize,
    pub errors: usize,
    pub calls_per_day: f64,
    /// Calls a day the cost model expects from the code's parse-time sites of this key;
    /// `None` when it has none.
    pub expected_calls_per_day: Option<f64>,
    /// Dollars a month at the observed rate.
    pub monthly_cost: f64,
    pub verdict: Verdict,
    /// The median interval between parses over all callers, in seconds.
    pub median_interval_s: Option<f64>,
    /// The share of intervals near the median.
    pub steady_share: Option<f64>,
    pub callers: Vec<Caller>,
    /// Calls per hour from the window's first hour.
    pub hourly: Vec<u32>,
    pub sites: Vec<Site>,
}

impl KeyReport {
    fn has_parse_time_site(&self) -> bool {
        self.sites.iter().any(|s| s.parse_time)
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    /// The window, in milliseconds since the epoch (`--since`/`--until`, else the first
    /// and last read); RFC 3339 in JSON.
    #[serde(serialize_with = "as_time")]
    pub since: i64,
    #[serde(serialize_with = "as_time")]
    pub until: i64,
    pub files: usize,
    pub events: usize,
    pub reads: usize,
    pub other_events: usize,
    pub unreadable_events: usize,
    pub notes: Vec<String>,
    /// Reads outside the window, left out.
    pub outside_window: usize,
    pub parse_interval_s: f64,
    pub parse_interval_source: String,
    pub price_per_10k_calls: f64,
    pub keys: Vec<KeyReport>,
}

/// A read, with the key it is for.
pub struct Keyed {
    pub call: Call,
    pub kind: Kind,
    pub key: String,
}

/// Builds the report from the keyed reads (in time order) and the static analysis.
pub fn build(
    reads: Vec<Keyed>,
    tally: &Tally,
    window: (Option<i64>, Option<i64>),
    expectations: &Expectations,
    reports: &[FileReport],
    paths: &Paths,
) -> Report {
    let total = reads.len();
    let inside: Vec<Keyed> = reads
        .into_iter()
        .filter(|r| {
            window.0.is_none_or(|since| r.call.time >= since)
                && window.1.is_none_or(|until| r.call.time <= until)
        })
        .collect();
    let since = window
        .0
        .or(inside.first().map(|r| r.call.time))
        .unwrap_or(0);
    let until = window
        .1
        .or(inside.last().map(|r| r.call.time))
        .unwrap_or(since);
    let span_ms = (until - since).max(1_000) as f64;
    let mut groups: BTreeMap<(Kind, String, Service), Vec<&Call>> = BTreeMap::new();
    for read in &inside {
        groups
            .entry((read.kind, read.key.clone(), read.call.service))
            .or_default()
            .push(&read.call);
    }
    let mut keys: Vec<KeyReport> = groups
        .into_iter()
        .map(|((kind, key, service), calls)| {
            let mut ids: BTreeSet<&str> = BTreeSet::new();
            for call in &calls {
                if ids.len() < 3 {
                    ids.insert(&call.id);
                }
            }
            let (verdict, median, steady, callers) = cadence(&calls, expectations.parse_interval);
            let calls_per_day = calls.len() as f64 * MS_PER_DAY / span_ms;
            let hours = ((until - since.div_euclid(MS_PER_HOUR) * MS_PER_HOUR) / MS_PER_HOUR + 1)
                .max(1) as usize;
            let mut hourly = vec![0u32; hours];
            for call in &calls {
                let hour = ((call.time - since.div_euclid(MS_PER_HOUR) * MS_PER_HOUR) / MS_PER_HOUR)
                    as usize;
                if let Some(slot) = hourly.get_mut(hour) {
                    *slot += 1;
                }
            }
            let expected_calls_per_day = lookup_kind(kind).and_then(|lookup| {
                expectations
                    .expected_per_day
                    .get(&(lookup, key.clone()))
                    .copied()
            });
            KeyReport {
                expected_calls_per_day,
                sites: sites(kind, &key, reports, paths),
                kind,
                service,
                secret_ids: ids.into_iter().map(str::to_string).collect(),
                calls: calls.len(),
                errors: calls.iter().filter(|c| c.error.is_some()).count(),
                calls_per_day,
                monthly_cost: calls_per_day * 30.0 * expectations.price_per_10k_calls / 10_000.0,
                verdict,
                median_interval_s: median,
                steady_share: steady,
                callers,
                hourly,
                key,
            }
        })
        .collect();
    keys.sort_by(|a, b| {
        b.monthly_cost
            .total_cmp(&a.monthly_cost)
            .then_with(|| (a.kind, &a.key).cmp(&(b.kind, &b.key)))
    });
    Report {
        since,
        until,
        files: tally.files,
        events: tally.events,
        reads: inside.len(),
        other_events: tally.other,
        unreadable_events: tally.malformed,
        notes: tally.notes.clone(),
        outside_window: total - inside.len(),
        parse_interval_s: expectations.parse_interval,
        parse_interval_source: expectations.parse_interval_source.clone(),
        price_per_10k_calls: expectations.price_per_10k_calls,
        keys,
    }
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// The cadence of a key's reads: each caller's reads grouped into parses (bursts), the
/// intervals between its parses, pooled over callers.
fn cadence(calls: &[&Call], expected: f64) -> (Verdict, Option<f64>, Option<f64>, Vec<Caller>) {
    let mut by_caller: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for call in calls {
        by_caller.entry(&call.caller).or_default().push(call.time);
    }
    let mut pooled = Vec::new();
    let mut callers = Vec::new();
    for (caller, mut times) in by_caller {
        times.sort_unstable();
        let mut starts: Vec<i64> = Vec::new();
        let mut last: Option<i64> = None;
        for &time in &times {
            if last.is_none_or(|last| time - last > BURST_MS) {
                starts.push(time);
            }
            last = Some(time);
        }
        let mut intervals: Vec<f64> = starts
            .windows(2)
            .map(|w| (w[1] - w[0]) as f64 / 1000.0)
            .collect();
        pooled.extend(intervals.iter().copied());
        callers.push(Caller {
            caller: caller.to_string(),
            calls: times.len(),
            median_interval_s: median(&mut intervals),
        });
    }
    callers.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.caller.cmp(&b.caller)));
    if pooled.len() < MIN_INTERVALS {
        return (Verdict::TooFew, median(&mut pooled), None, callers);
    }
    let middle = median(&mut pooled).expect("not empty");
    let near = pooled
        .iter()
        .filter(|&&i| i >= middle * STEADY_BAND.0 && i <= middle * STEADY_BAND.1)
        .count();
    let share = near as f64 / pooled.len() as f64;
    let verdict = if share < STEADY_SHARE {
        Verdict::TaskTime
    } else if middle >= expected * PARSE_SLACK.0 && middle <= expected * PARSE_SLACK.1 {
        Verdict::ParseTime
    } else {
        Verdict::OtherCadence
    };
    (verdict, Some(middle), Some(share), callers)
}

/// The kind of lookup in the code that reads a secret of this kind.
fn lookup_kind(kind: Kind) -> Option<LookupKind> {
    match kind {
        Kind::Variable => Some(LookupKind::Variable),
        Kind::Connection => Some(LookupKind::Connection),
        Kind::Other => Some(LookupKind::DirectSecretsManager),
        Kind::Config => None,
    }
}

/// The call sites in the checked files that ask for this key.
fn sites(kind: Kind, key: &str, reports: &[FileReport], paths: &Paths) -> Vec<Site> {
    let Some(wanted) = lookup_kind(kind) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for report in reports {
        for site in &report.sites {
            if site.lookup.kind != wanted {
                continue;
            }
            let dynamic = match site.lookup.key.full_text() {
                Some(text) if text == key => false,
                Some(_) => continue,
                None => {
                    let leading = site.lookup.key.leading_text();
                    if leading.is_empty() || !key.starts_with(leading) {
                        continue;
                    }
                    true
                }
            };
            let message = site.parse_time.then(|| {
                report
                    .diagnostics
                    .iter()
                    .find(|d| {
                        d.start == site.start
                            && matches!(
                                d.rule(),
                                Rule::VariableGetAtParseTime
                                    | Rule::ConnectionLookupAtParseTime
                                    | Rule::SecretsManagerReadAtParseTime
                            )
                    })
                    .map(|d| d.diagnostic.message.clone())
            });
            found.push(Site {
                filename: paths.portable(&report.path),
                row: site.start.row,
                column: site.start.column,
                parse_time: site.parse_time,
                dynamic,
                message: message.flatten(),
            });
        }
    }
    found
}

/// `▁▂▃▄▅▆▇█` over the hourly counts, at most [`SPARK_WIDTH`] marks (each mark then sums
/// several hours), and how many hours a mark stands for.
pub fn sparkline(hourly: &[u32]) -> (String, usize) {
    const MARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let per_mark = hourly.len().div_ceil(SPARK_WIDTH).max(1);
    let sums: Vec<u64> = hourly
        .chunks(per_mark)
        .map(|c| c.iter().map(|&n| u64::from(n)).sum())
        .collect();
    let top = sums.iter().copied().max().unwrap_or(0);
    let line = sums
        .iter()
        .map(|&n| {
            if top == 0 || n == 0 {
                ' '
            } else {
                MARKS[((n * 7).div_ceil(top)) as usize]
            }
        })
        .collect();
    (line, per_mark)
}

fn as_time<S: serde::Serializer>(millis: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&time(*millis))
}

fn time(millis: i64) -> String {
    jiff::Timestamp::from_millisecond(millis)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| millis.to_string())
}

fn count(n: usize) -> String {
    crate::printer::statistics::group_thousands(n as u64)
}

fn seconds(s: f64) -> String {
    if s >= 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s >= 120.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{s:.0} s")
    }
}

fn key_line(out: &mut String, key: &KeyReport) {
    let cadence = match (key.verdict, key.median_interval_s) {
        (Verdict::TooFew, _) => "too few calls to tell a cadence".to_string(),
        (Verdict::TaskTime, _) => "no steady interval".to_string(),
        (Verdict::OtherCadence, Some(median)) => {
            format!("steady every {}, not the parse interval", seconds(median))
        }
        (_, Some(median)) => format!("every {}", seconds(median)),
        (_, None) => String::new(),
    };
    let callers = match key.callers.len() {
        1 => "1 caller".to_string(),
        n => format!("{n} callers"),
    };
    let _ = writeln!(
        out,
        "  {} `{}`: {} calls ({:.0}/day), {cadence}, {callers}; ${:.2} a month at this rate",
        key.kind.as_str(),
        terminal(&key.key),
        count(key.calls),
        key.calls_per_day,
        key.monthly_cost,
    );
    if let Some(expected) = key.expected_calls_per_day {
        let _ = writeln!(
            out,
            "    expected vs observed: {expected:.0}/day from the cost model (`--statistics`), {:.0}/day in these events",
            key.calls_per_day
        );
    }
    if key.errors > 0 {
        let _ = writeln!(
            out,
            "    {} of them answered with an error",
            count(key.errors)
        );
    }
    let (line, per_mark) = sparkline(&key.hourly);
    let unit = if per_mark == 1 {
        "calls per hour".to_string()
    } else {
        format!("calls per {per_mark} hours")
    };
    let _ = writeln!(out, "    {} ({unit})", line.trim_end());
}

fn site_lines(out: &mut String, key: &KeyReport) {
    for site in &key.sites {
        let when = match (site.parse_time, site.dynamic) {
            (true, false) => "parse time",
            (true, true) => "parse time, a key built at run time that may be this one",
            (false, false) => "task time",
            (false, true) => "task time, a key built at run time that may be this one",
        };
        let _ = writeln!(
            out,
            "    {}:{}:{} {when}{}",
            terminal(&site.filename),
            site.row,
            site.column,
            site.message
                .as_ref()
                .map(|m| format!(": {}", terminal(m)))
                .unwrap_or_default()
        );
    }
}

/// The report as a table for people.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let hours = (report.until - report.since) as f64 / MS_PER_HOUR as f64;
    let _ = writeln!(
        out,
        "{} reads of {} secrets from {} to {} ({hours:.1} h), in {} events from {} {}",
        count(report.reads),
        report.keys.len(),
        time(report.since),
        time(report.until),
        count(report.events),
        count(report.files),
        if report.files == 1 { "file" } else { "files" },
    );
    let _ = writeln!(
        out,
        "Parse interval: {} ({}); cost: ${} per 10,000 calls",
        seconds(report.parse_interval_s),
        report.parse_interval_source,
        report.price_per_10k_calls
    );
    type Section = (&'static str, &'static str, fn(&KeyReport) -> bool);
    let sections: [Section; 4] = [
        (
            "Polled at the parse interval, with a parse-time call site: fix these lines",
            "",
            |k| k.verdict == Verdict::ParseTime && k.has_parse_time_site(),
        ),
        (
            "Polled at the parse interval, but dagsafe found no parse-time call site",
            "    dagsafe found no parse-time read of this key in the checked files: the key may be built at run time, or read by code outside them (another repository, a plugin, a package installed in the image)",
            |k| k.verdict == Verdict::ParseTime && !k.has_parse_time_site(),
        ),
        ("Read at task time, or without the parse cadence", "", |k| {
            k.verdict != Verdict::ParseTime && k.kind != Kind::Other
        }),
        (
            "Read by name, under none of the backend's prefixes (direct reads, other programs)",
            "",
            |k| k.verdict != Verdict::ParseTime && k.kind == Kind::Other,
        ),
    ];
    for (title, gap, wanted) in sections {
        let keys: Vec<&KeyReport> = report.keys.iter().filter(|k| wanted(k)).collect();
        if keys.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title}:");
        for key in keys {
            key_line(&mut out, key);
            site_lines(&mut out, key);
            if !gap.is_empty() {
                let _ = writeln!(out, "{gap}");
            }
        }
    }
    let skipped: Vec<String> = [
        (
            report.other_events,
            "event that is not a read of a secret",
            "events that are not reads of secrets",
        ),
        (
            report.unreadable_events,
            "event that could not be read",
            "events that could not be read",
        ),
        (
            report.outside_window,
            "read outside --since/--until",
            "reads outside --since/--until",
        ),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| format!("{} {}", count(n), if n == 1 { one } else { many }))
    .collect();
    if !skipped.is_empty() {
        let _ = writeln!(out, "\nSkipped: {}", skipped.join(", "));
    }
    for note in &report.notes {
        let _ = writeln!(out, "  {}", terminal(note));
    }
    out
}
