//! `--statistics`: diagnostics per rule, and what the parse-time lookups cost
//! (AIRFLOW_FACTS.md, "Cost of a parse-time lookup"): each lookup that reaches AWS Secrets
//! Manager at every parse is `30 days x 86,400 s / min_file_process_interval` calls a month
//! per DAG processor, at `price_per_10k_calls` per 10,000.

use crate::checker::{Lookup, LookupKind};
use crate::secrets::Tri;
use crate::settings::Settings;

/// Parse-time lookups of some files, sorted by where they go.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LookupTally {
    /// Lookups that reach AWS at every parse: variables, connections, direct reads.
    pub aws_variables: usize,
    pub aws_connections: usize,
    pub aws_direct: usize,
    /// Lookups whose name the pattern does not match: served from env vars / the metastore.
    pub elsewhere: usize,
    /// Lookups whose name is not known statically, so the pattern cannot be applied.
    pub unknown: usize,
    /// The estimate for the lookups that reach AWS, in dollars a month per DAG processor.
    pub monthly_cost: f64,
    /// Calls a month per DAG processor for the lookups that reach AWS.
    pub monthly_calls: f64,
}

impl LookupTally {
    pub fn of(lookups: &[Lookup], settings: &Settings) -> LookupTally {
        let mut tally = LookupTally::default();
        let secrets = &settings.secrets;
        for lookup in lookups {
            let pattern = match lookup.kind {
                LookupKind::DirectSecretsManager => {
                    tally.aws_direct += 1;
                    continue;
                }
                LookupKind::Variable => &secrets.variables,
                LookupKind::Connection => &secrets.connections,
            };
            // A backend that is not AWS, or that serves none of this kind, sends nothing there.
            let reaches = match pattern {
                Some(pattern) if secrets.backend.has_lookup_patterns() => {
                    pattern.matches(&lookup.key)
                }
                _ => Tri::No,
            };
            match (reaches, &lookup.kind) {
                (Tri::Yes, LookupKind::Variable) => tally.aws_variables += 1,
                (Tri::Yes, _) => tally.aws_connections += 1,
                (Tri::No, _) => tally.elsewhere += 1,
                (Tri::Unknown, _) => tally.unknown += 1,
            }
        }
        let calls = tally.aws_total();
        tally.monthly_calls = calls as f64 * settings.cost.parses_per_month();
        tally.monthly_cost = settings.cost.monthly_cost(calls);
        tally
    }

    pub fn aws_total(&self) -> usize {
        self.aws_variables + self.aws_connections + self.aws_direct
    }

    pub fn add(&mut self, other: &LookupTally) {
        self.aws_variables += other.aws_variables;
        self.aws_connections += other.aws_connections;
        self.aws_direct += other.aws_direct;
        self.elsewhere += other.elsewhere;
        self.unknown += other.unknown;
        self.monthly_cost += other.monthly_cost;
        self.monthly_calls += other.monthly_calls;
    }
}
