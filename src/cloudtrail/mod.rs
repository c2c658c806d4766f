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
    let expectations = report::Expectations {
        parse_interval: settings.cost.min_file_process_interval,
        parse_interval_source: parse_interval_source.to_string(),
        price_per_10k_calls: settings.cost.price_per_10k_calls,
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
