//! Reading CloudTrail events as users get them (AIRFLOW_FACTS.md, "CloudTrail"):
//!
//! - `aws cloudtrail lookup-events` output: `{"Events": [...]}`, each event with `EventName`,
//!   `EventTime`, `Username`, `Resources` and the whole record as a JSON string in
//!   `CloudTrailEvent`;
//! - log files as CloudTrail delivers them to S3, and the console's JSON download:
//!   `{"Records": [...]}` of whole records (also a bare array of records), gzipped or not;
//! - the console's CSV download: a header row naming the columns (`Event name`,
//!   `Event time`, `User name`, `Resource name`, `Source IP address`, `Error code`; a
//!   `CloudTrail event` column, when present, is read as the whole record);
//! - a folder of any of these, searched for `*.json`, `*.json.gz`, `*.gz` and `*.csv`.
//!
//! Only reads of secrets are kept: `GetSecretValue` (Secrets Manager,
//! `requestParameters.secretId`) and `GetParameter` / `GetParameters` (Parameter Store,
//! `requestParameters.name` / `names`). Other events are counted; an event that cannot be
//! read is counted with a note and skipped, never fatal. Nothing of a response is read.

use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;

/// Which AWS service a read went to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Service {
    #[serde(rename = "secretsmanager")]
    SecretsManager,
    #[serde(rename = "ssm")]
    ParameterStore,
}

/// One read of one secret, as CloudTrail logged it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// Milliseconds since the Unix epoch, UTC.
    pub time: i64,
    pub service: Service,
    /// The secret id or parameter name as the caller sent it (a name or an ARN).
    pub id: String,
    /// Who called: the identity's ARN (an assumed role's includes its session, so each DAG
    /// processor or worker is a caller of its own), else its principal id, else the source
    /// address.
    pub caller: String,
    /// The error AWS answered with (`ResourceNotFoundException`, ...), if any.
    pub error: Option<String>,
}

/// What reading the inputs found besides the reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub files: usize,
    pub events: usize,
    /// Events that are not reads of secrets (other services, other calls).
    pub other: usize,
    /// Events that could not be read, and the first few reasons.
    pub malformed: usize,
    pub notes: Vec<String>,
}

const MAX_NOTES: usize = 5;

impl Tally {
    fn note(&mut self, note: String) {
        self.malformed += 1;
        if self.notes.len() < MAX_NOTES {
            self.notes.push(note);
        }
    }

    fn add(&mut self, other: Tally) {
        self.files += other.files;
        self.events += other.events;
        self.other += other.other;
        for note in other.notes {
            if self.notes.len() < MAX_NOTES {
                self.notes.push(note);
            }
        }
        self.malformed += other.malformed;
    }
}

/// Why an input could not be read at all.
#[derive(Debug)]
pub struct InputError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// Reads every input (files, or folders searched for event files) and returns the reads of
/// secrets in time order.
pub fn read_inputs(inputs: &[PathBuf]) -> Result<(Vec<Call>, Tally), InputError> {
    let mut files = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| InputError {
            path: input.clone(),
            message: e.to_string(),
        })?;
        if meta.is_dir() {
            collect_files(input, &mut files).map_err(|e| InputError {
                path: input.clone(),
                message: e.to_string(),
            })?;
        } else {
            files.push(input.clone());
        }
    }
    let read: Vec<Result<(Vec<Call>, Tally), InputError>> =
        files.par_iter().map(|file| read_file(file)).collect();
    let mut calls = Vec::new();
    let mut tally = Tally::default();
    for result in read {
        let (more, counted) = result?;
        calls.extend(more);
        tally.add(counted);
    }
    calls.par_sort_by(|a, b| (a.time, &a.caller, &a.id).cmp(&(b.time, &b.caller, &b.id)));
    Ok((calls, tally))
}

/// The event files under `dir`, in path order; links are not followed.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            collect_files(&path, out)?;
        } else if kind.is_file() {
            let name = path.to_string_lossy().to_ascii_lowercase();
            if [".json", ".json.gz", ".gz", ".csv"]
                .iter()
                .any(|ext| name.ends_with(ext))
            {
                out.push(path);
            }
        }
    }
    Ok(())
}

/// One input file: gzip or not, JSON or CSV, told by its content.
pub fn read_file(path: &Path) -> Result<(Vec<Call>, Tally), InputError> {
    let error = |message: String| InputError {
        path: path.to_path_buf(),
        message,
    };
    let raw = std::fs::read(path).map_err(|e| error(e.to_string()))?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| error(format!("not a readable gzip file: {e}")))?;
        out
    } else {
        raw
    };
    let text = String::from_utf8(bytes).map_err(|_| error("not UTF-8 text".to_string()))?;
    let mut tally = Tally {
        files: 1,
        ..Tally::default()
    };
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let calls = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        read_json(trimmed, &mut tally).map_err(error)?
    } else {
        read_csv(trimmed, &mut tally).map_err(error)?
    };
    Ok((calls, tally))
}

#[derive(Deserialize)]
struct Container<'a> {
    #[serde(rename = "Records", borrow, default)]
    records: Option<Vec<&'a RawValue>>,
    #[serde(rename = "Events", borrow, default)]
    events: Option<Vec<&'a RawValue>>,
}

fn read_json(text: &str, tally: &mut Tally) -> Result<Vec<Call>, String> {
    let (items, lookup): (Vec<&RawValue>, bool) = if text.starts_with('[') {
        let items: Vec<&RawValue> =
            serde_json::from_str(text).map_err(|e| format!("not a JSON array of events: {e}"))?;
        (items, false)
    } else {
        let container: Container =
            serde_json::from_str(text).map_err(|e| format!("not CloudTrail JSON: {e}"))?;
        match (container.records, container.events) {
            (Some(records), _) => (records, false),
            (None, Some(events)) => (events, true),
            (None, None) => {
                return Err(
                    "neither `Records` (a CloudTrail log file) nor `Events` (aws cloudtrail lookup-events) is in it"
                        .to_string(),
                );
            }
        }
    };
    tally.events += items.len();
    let parsed: Vec<Result<Vec<Call>, String>> = items
        .par_iter()
        .enumerate()
        .map(|(i, item)| {
            let result = if lookup {
                lookup_event(item.get())
            } else {
                serde_json::from_str::<Record>(item.get())
                    .map_err(|e| e.to_string())
                    .and_then(|record| record.calls())
            };
            result.map_err(|e| format!("event {}: {e}", i + 1))
        })
        .collect();
    let mut calls = Vec::new();
    for result in parsed {
        match result {
            Ok(found) if found.is_empty() => tally.other += 1,
            Ok(found) => calls.extend(found),
            Err(note) => tally.note(note),
        }
    }
    Ok(calls)
}

/// A CloudTrail record: only the fields dagsafe reads.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Record {
    event_time: Option<Time>,
    event_name: Option<String>,
    event_source: Option<String>,
    request_parameters: Option<RequestParameters>,
    user_identity: Option<UserIdentity>,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: Option<String>,
    error_code: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RequestParameters {
    secret_id: Option<String>,
    name: Option<String>,
    names: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct UserIdentity {
    arn: Option<String>,
    principal_id: Option<String>,
}

/// An event time: RFC 3339 text, or seconds since the epoch (boto3's JSON).
#[derive(Deserialize)]
#[serde(untagged)]
enum Time {
    Text(String),
    Seconds(f64),
}

impl Time {
    fn millis(&self) -> Result<i64, String> {
        match self {
            Time::Text(text) => parse_time(text),
            Time::Seconds(seconds) if seconds.is_finite() && seconds.abs() < 1e13 => {
                Ok((seconds * 1000.0).round() as i64)
            }
            Time::Seconds(seconds) => Err(format!("event time {seconds} is out of range")),
        }
    }
}

/// RFC 3339 (`2026-12-01T10:00:00Z`, with any offset and fraction), or
/// `2026-12-01 10:00:00` taken as UTC; milliseconds since the epoch.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(timestamp) = text.parse::<jiff::Timestamp>() {
        return Ok(timestamp.as_millisecond());
    }
    if let Ok(civil) = text.parse::<jiff::civil::DateTime>()
        && let Ok(timestamp) = civil.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Ok(timestamp.timestamp().as_millisecond());
    }
    if let Ok(date) = text.parse::<jiff::civil::Date>()
        && let Ok(timestamp) = date.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Ok(timestamp.timestamp().as_millisecond());
    }
    Err(format!(
        "event time `{}` is not an RFC 3339 time",
        crate::printer::escape::terminal(text)
    ))
}

impl Record {
    fn calls(self) -> Result<Vec<Call>, String> {
        let Some(name) = self.event_name.as_deref() else {
            return Err("no eventName".to_string());
        };
        let service = match (name, self.event_source.as_deref()) {
            ("GetSecretValue", None | Some("secretsmanager.amazonaws.com")) => {
                Service::SecretsManager
            }
            ("GetParameter" | "GetParameters", None | Some("ssm.amazonaws.com")) => {
                Service::ParameterStore
            }
            _ => return Ok(Vec::new()),
        };
        let time = self.event_time.as_ref().ok_or("no eventTime")?.millis()?;
        let parameters = self.request_parameters.unwrap_or_default();
        let ids: Vec<String> = match service {
            Service::SecretsManager => parameters.secret_id.into_iter().collect(),
            Service::ParameterStore => parameters
                .name
                .into_iter()
                .chain(parameters.names.unwrap_or_default())
                .collect(),
        };
        if ids.is_empty() {
            return Err(format!(
                "{name} without {}",
                match service {
                    Service::SecretsManager => "requestParameters.secretId",
                    Service::ParameterStore => "requestParameters.name",
                }
            ));
        }
        let identity = self.user_identity.unwrap_or_default();
        let caller = identity
            .arn
            .or(identity.principal_id)
            .or(self.source_ip_address)
            .unwrap_or_else(|| "unknown".to_string());
        Ok(ids
            .into_iter()
            .map(|id| Call {
                time,
                service,
                id,
                caller: caller.clone(),
                error: self.error_code.clone(),
            })
            .collect())
    }
}

/// An event of `aws cloudtrail lookup-events`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct LookupEvent {
    event_name: Option<String>,
    event_time: Option<Time>,
    event_source: Option<String>,
    username: Option<String>,
    resources: Option<Vec<Resource>>,
    cloud_trail_event: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Resource {
    resource_name: Option<String>,
}

fn lookup_event(text: &str) -> Result<Vec<Call>, String> {
    let event: LookupEvent = serde_json::from_str(text).map_err(|e| e.to_string())?;
    // The whole record, when it is there, says everything; the summary fields otherwise.
    if let Some(record) = &event.cloud_trail_event
        && let Ok(record) = serde_json::from_str::<Record>(record)
    {
        return record.calls();
    }
    let record = Record {
        event_time: event.event_time,
        event_name: event.event_name,
        event_source: event.event_source,
        request_parameters: Some(RequestParameters {
            secret_id: None,
            name: None,
            names: Some(
                event
                    .resources
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|r| r.resource_name)
                    .collect(),
            ),
        }),
        user_identity: Some(UserIdentity {
            arn: event.username,
            principal_id: None,
        }),
        source_ip_address: None,
        error_code: None,
    };
    // The resources name what was read, for either service.
    record.calls_from_resources()
}

impl Record {
    /// [`Record::calls`] for a summary without the whole record: the ids are the resources.
    fn calls_from_resources(mut self) -> Result<Vec<Call>, String> {
        if self.event_name.as_deref() == Some("GetSecretValue") {
            let names = self
                .request_parameters
                .as_mut()
                .and_then(|p| p.names.take())
                .unwrap_or_default();
            if let Some(parameters) = self.request_parameters.as_mut() {
                parameters.secret_id = names.into_iter().next();
            }
        }
        self.calls()
    }
}

fn read_csv(text: &str, tally: &mut Tally) -> Result<Vec<Call>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("not a CSV file: {e}"))?
        .clone();
    let column = |names: &[&str]| {
        headers.iter().position(|h| {
            let h = h.trim().to_ascii_lowercase();
            names.iter().any(|n| h == *n)
        })
    };
    let (Some(name), Some(time)) = (column(&["event name"]), column(&["event time"])) else {
        return Err(
            "neither JSON nor CloudTrail's CSV: the header needs `Event name` and `Event time`"
                .to_string(),
        );
    };
    let record = column(&["cloudtrail event"]);
    let user = column(&["user name"]);
    let resource = column(&["resource name", "resource names"]);
    let source = column(&["event source"]);
    let address = column(&["source ip address"]);
    let error_code = column(&["error code"]);
    let mut calls = Vec::new();
    for (i, row) in reader.records().enumerate() {
        tally.events += 1;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                tally.note(format!("row {}: {e}", i + 2));
                continue;
            }
        };
        let cell = |index: Option<usize>| {
            index
                .and_then(|i| row.get(i))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let whole = cell(record).and_then(|text| serde_json::from_str::<Record>(&text).ok());
        let result = match whole {
            Some(record) => record.calls(),
            None => Record {
                event_time: cell(Some(time)).map(Time::Text),
                event_name: cell(Some(name)),
                event_source: cell(source),
                request_parameters: Some(RequestParameters {
                    secret_id: None,
                    name: None,
                    names: Some(
                        cell(resource)
                            .map(|names| {
                                names
                                    .split(',')
                                    .map(|n| n.trim().to_string())
                                    .filter(|n| !n.is_empty())
                                    .collect()
                            })
                            .unwrap_or_default(),
                    ),
                }),
                user_identity: Some(UserIdentity {
                    arn: cell(user),
                    principal_id: None,
                }),
                source_ip_address: cell(address),
                error_code: cell(error_code),
            }
            .calls_from_resources(),
        };
        match result {
            Ok(found) if found.is_empty() => tally.other += 1,
            Ok(found) => calls.extend(found),
            Err(e) => tally.note(format!("row {}: {e}", i + 2)),
        }
    }
    Ok(calls)
}
