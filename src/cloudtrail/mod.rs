//! `dagsafe cloudtrail`: from the AWS bill back to the line of code. Reads the CloudTrail
//! events of secret reads ([`read`]), maps each secret name back to the Airflow key the
//! backend asked for ([`names`]), and joins them with the static analysis of the project
//! ([`report`]): per key, how often AWS was asked, at what cadence, at what cost, and which
//! lines of code ask for it — parse-time ones first.

pub mod names;
pub mod read;
pub mod report;

use std::path::PathBuf;

use crate::run::FileReport;
use crate::settings::Settings;

pub use read::InputError;
pub use report::Report;

/// Reads `inputs`, keeps the reads inside `window` (milliseconds since the epoch), and
/// joins them with `reports`, the project's analysis under `settings`.
pub fn analyse(
    inputs: &[PathBuf],
    window: (Option<i64>, Option<i64>),
    settings: &Settings,
    parse_interval_source: &str,
    reports: &[FileReport],
    paths: &crate::printer::Paths,
) -> Result<Report, InputError> {
    let (calls, tally) = read::read_inputs(inputs)?;
    let secrets = &settings.secrets;
    let keyed = calls
        .into_iter()
        .map(|call| {
            let names = names::names_for(call.service, &secrets.backend, &secrets.names);
            let name = names::secret_name(call.service, &call.id);
            let (kind, key) = names::airflow_key(&name, &names);
            report::Keyed { call, kind, key }
        })
        .collect();
    // With `[secrets] use_cache`, the DAG processor asks AWS for a key at most once per
    // `cache_ttl_seconds` (`crate::cost`): that is the cadence a parse-time read shows.
    let cost = &settings.cost;
    let (parse_interval, parse_interval_source) = if cost.use_cache
        && cost.cache_ttl_seconds > cost.min_file_process_interval
    {
        (
            cost.cache_ttl_seconds,
            format!(
                "[secrets] use_cache on: cache_ttl_seconds ({}), over min_file_process_interval {} s ({parse_interval_source})",
                cost.origins.cache_ttl.as_deref().unwrap_or("default"),
                crate::printer::statistics::amount(cost.min_file_process_interval),
            ),
        )
    } else {
        (
            cost.min_file_process_interval,
            parse_interval_source.to_string(),
        )
    };
    let model = crate::cost::CostModel::of(reports, Some(cost));
    let expectations = report::Expectations {
        parse_interval,
        parse_interval_source,
        price_per_10k_calls: cost.price_per_10k_calls,
        expected_per_day: model
            .keys
            .iter()
            .map(|key| ((key.kind, key.key.clone()), key.calls() / 30.0))
            .collect(),
    };
    Ok(report::build(
        keyed,
        &tally,
        window,
        &expectations,
        reports,
        paths,
    ))
}
