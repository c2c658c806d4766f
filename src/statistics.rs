//! `--statistics`: diagnostics per rule, and where the parse-time lookups go. What they
//! cost a month is worked out by the cost model (`crate::cost`) from what this keeps per file.

use std::path::PathBuf;

use crate::checker::{Lookup, LookupKind};
use crate::dag_shape::DagShape;
use crate::secrets::Tri;
use crate::settings::{CostSettings, Settings};

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
    /// The lookups that reach AWS, one per call site, each with the DAG files whose parses
    /// run it.
    pub aws: Vec<AwsLookup>,
    /// The file's DAGs, when it is a DAG file.
    pub dags: Option<Vec<DagShape>>,
    /// The cost settings of the file (`None` for a file with no summary).
    pub cost: Option<StoredCost>,
}

/// A parse-time lookup that reaches AWS.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AwsLookup {
    pub kind: LookupKind,
    /// The key (a direct read's secret name) as far as it is known (`{...}` for the rest).
    pub key: String,
    /// The DAG files (absolute paths) whose parses run it; empty: the file's own parses.
    pub runs_in: Vec<PathBuf>,
}

/// [`CostSettings`] as the cache keeps it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredCost {
    pub min_file_process_interval: f64,
    pub price_per_10k_calls: f64,
    pub dag_processors: u32,
    pub use_cache: bool,
    pub cache_ttl_seconds: f64,
    pub dag_runs_per_month: f64,
    pub tasks_per_dag: u32,
    pub interval_origin: Option<String>,
    pub use_cache_origin: Option<String>,
    pub cache_ttl_origin: Option<String>,
}

impl StoredCost {
    pub fn of(cost: &CostSettings) -> StoredCost {
        StoredCost {
            min_file_process_interval: cost.min_file_process_interval,
            price_per_10k_calls: cost.price_per_10k_calls,
            dag_processors: cost.dag_processors,
            use_cache: cost.use_cache,
            cache_ttl_seconds: cost.cache_ttl_seconds,
            dag_runs_per_month: cost.dag_runs_per_month,
            tasks_per_dag: cost.tasks_per_dag,
            interval_origin: cost.origins.interval.clone(),
            use_cache_origin: cost.origins.use_cache.clone(),
            cache_ttl_origin: cost.origins.cache_ttl.clone(),
        }
    }

    pub fn settings(&self) -> CostSettings {
        CostSettings {
            min_file_process_interval: self.min_file_process_interval,
            price_per_10k_calls: self.price_per_10k_calls,
            dag_processors: self.dag_processors,
            use_cache: self.use_cache,
            cache_ttl_seconds: self.cache_ttl_seconds,
            dag_runs_per_month: self.dag_runs_per_month,
            tasks_per_dag: self.tasks_per_dag,
            origins: crate::settings::CostOrigins {
                interval: self.interval_origin.clone(),
                use_cache: self.use_cache_origin.clone(),
                cache_ttl: self.cache_ttl_origin.clone(),
            },
        }
    }
}

impl LookupTally {
    pub fn of(
        lookups: Vec<(Lookup, Vec<PathBuf>)>,
        dags: Option<Vec<DagShape>>,
        settings: &Settings,
    ) -> LookupTally {
        let mut tally = LookupTally {
            dags,
            cost: Some(StoredCost::of(&settings.cost)),
            ..LookupTally::default()
        };
        let secrets = &settings.secrets;
        for (lookup, runs_in) in lookups {
            let pattern = match lookup.kind {
                LookupKind::DirectSecretsManager => {
                    tally.aws_direct += 1;
                    tally.aws.push(AwsLookup {
                        kind: lookup.kind,
                        key: lookup.key.display(),
                        runs_in,
                    });
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
            if reaches == Tri::Yes {
                tally.aws.push(AwsLookup {
                    kind: lookup.kind,
                    key: lookup.key.display(),
                    runs_in,
                });
            }
        }
        tally
    }

    pub fn aws_total(&self) -> usize {
        self.aws_variables + self.aws_connections + self.aws_direct
    }

    /// Adds `other`'s counts (not its sites).
    pub fn add(&mut self, other: &LookupTally) {
        self.aws_variables += other.aws_variables;
        self.aws_connections += other.aws_connections;
        self.aws_direct += other.aws_direct;
        self.elsewhere += other.elsewhere;
        self.unknown += other.unknown;
    }
}
