//! From the secret id AWS logged back to the Airflow key the backend asked for
//! (AIRFLOW_FACTS.md, "Secrets backend order and lookup patterns"): the backend reads
//! `{prefix}{sep}{key}`, so `airflow/variables/aws_my_secret` is variable `aws_my_secret`.

use crate::settings::{Backend, SecretNames};

use super::read::Service;

/// What kind of Airflow object a secret holds, by the prefix it is under.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Variable,
    Connection,
    Config,
    /// Not under any of the backend's prefixes: a secret read directly (boto3,
    /// `SecretsManagerHook`), or by another program.
    #[serde(rename = "secret")]
    Other,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Variable => "variable",
            Kind::Connection => "connection",
            Kind::Config => "config",
            Kind::Other => "secret",
        }
    }
}

/// A secret's name without what an ARN adds: `arn:aws:secretsmanager:R:A:secret:NAME-AbCdEf`
/// is `NAME` (Secrets Manager appends a hyphen and six random characters to the name in
/// ARNs), `arn:aws:ssm:R:A:parameter/NAME` is `/NAME`. Parameter Store names get their
/// leading `/` (the backend adds one to every name it builds).
pub fn secret_name(service: Service, id: &str) -> String {
    let name = match id.strip_prefix("arn:") {
        Some(rest) => {
            // partition:service:region:account:resource
            let resource = rest.splitn(5, ':').nth(4).unwrap_or(rest);
            match service {
                Service::SecretsManager => {
                    let name = resource.strip_prefix("secret:").unwrap_or(resource);
                    match name.rsplit_once('-') {
                        Some((base, suffix))
                            if suffix.len() == 6
                                && suffix.bytes().all(|b| b.is_ascii_alphanumeric()) =>
                        {
                            base
                        }
                        _ => name,
                    }
                }
                Service::ParameterStore => resource.strip_prefix("parameter").unwrap_or(resource),
            }
        }
        None => id,
    };
    match service {
        Service::ParameterStore if !name.starts_with('/') => format!("/{name}"),
        _ => name.to_string(),
    }
}

/// The names the backend for `service` builds: the resolved settings when the configured
/// backend is that service's, else that backend's defaults.
pub fn names_for(service: Service, backend: &Backend, resolved: &SecretNames) -> SecretNames {
    match (service, backend) {
        (Service::SecretsManager, Backend::AwsSecretsManager)
        | (Service::ParameterStore, Backend::AwsParameterStore) => resolved.clone(),
        (Service::SecretsManager, _) => SecretNames::defaults(&Backend::AwsSecretsManager),
        (Service::ParameterStore, _) => SecretNames::defaults(&Backend::AwsParameterStore),
    }
}

/// The Airflow kind and key a secret name stands for under `names`. The longest matching
/// prefix wins; a kind whose prefix is empty reads every name as its key, so it is tried
/// last; a name under no prefix is `Other`, keyed by the whole name.
pub fn airflow_key(name: &str, names: &SecretNames) -> (Kind, String) {
    let sep = if names.leading_slash { "/" } else { &names.sep };
    let mut best: Option<(usize, Kind, &str)> = None;
    let mut empty: Option<Kind> = None;
    for (kind, prefix) in [
        (Kind::Variable, &names.variables),
        (Kind::Connection, &names.connections),
        (Kind::Config, &names.config),
    ] {
        let Some(prefix) = prefix else { continue };
        let prefix = if names.leading_slash && !prefix.starts_with('/') {
            format!("/{prefix}")
        } else {
            prefix.clone()
        };
        if prefix.is_empty() || (names.leading_slash && prefix == "/") {
            empty = empty.or(Some(kind));
            continue;
        }
        if let Some(key) = name
            .strip_prefix(prefix.as_str())
            .and_then(|rest| rest.strip_prefix(sep))
            && !key.is_empty()
            && best.is_none_or(|(length, _, _)| prefix.len() > length)
        {
            best = Some((prefix.len(), kind, key));
        }
    }
    match (best, empty) {
        (Some((_, kind, key)), _) => (kind, key.to_string()),
        (None, Some(kind)) => (kind, name.trim_start_matches('/').to_string()),
        (None, None) => (Kind::Other, name.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_lose_what_aws_adds() {
        let sm = Service::SecretsManager;
        assert_eq!(
            secret_name(
                sm,
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:airflow/variables/aws_db-AbC123"
            ),
            "airflow/variables/aws_db"
        );
        // Without the random suffix (a partial ARN), the name stays whole.
        assert_eq!(
            secret_name(
                sm,
                "arn:aws:secretsmanager:eu-west-1:1:secret:airflow/variables/my-key"
            ),
            "airflow/variables/my-key"
        );
        assert_eq!(
            secret_name(sm, "airflow/variables/x"),
            "airflow/variables/x"
        );
        let ssm = Service::ParameterStore;
        assert_eq!(
            secret_name(ssm, "arn:aws:ssm:us-east-1:1:parameter/airflow/variables/x"),
            "/airflow/variables/x"
        );
        assert_eq!(
            secret_name(ssm, "airflow/variables/x"),
            "/airflow/variables/x"
        );
    }

    #[test]
    fn prefixes_map_names_to_keys() {
        let sm = SecretNames::defaults(&Backend::AwsSecretsManager);
        assert_eq!(
            airflow_key("airflow/variables/aws_my_secret", &sm),
            (Kind::Variable, "aws_my_secret".to_string())
        );
        assert_eq!(
            airflow_key("airflow/connections/aws_default", &sm),
            (Kind::Connection, "aws_default".to_string())
        );
        assert_eq!(
            airflow_key("airflow/config/sql_alchemy_conn", &sm),
            (Kind::Config, "sql_alchemy_conn".to_string())
        );
        assert_eq!(
            airflow_key("prod/db/password", &sm),
            (Kind::Other, "prod/db/password".to_string())
        );
        // A prefix alone is not a key.
        assert_eq!(
            airflow_key("airflow/variables/", &sm),
            (Kind::Other, "airflow/variables/".to_string())
        );
        let custom = SecretNames {
            variables: Some("team/vars".to_string()),
            connections: None,
            config: Some(String::new()),
            sep: ":".to_string(),
            leading_slash: false,
        };
        assert_eq!(
            airflow_key("team/vars:aws_x", &custom),
            (Kind::Variable, "aws_x".to_string())
        );
        // The empty prefix takes every other name.
        assert_eq!(
            airflow_key("airflow/connections/x", &custom),
            (Kind::Config, "airflow/connections/x".to_string())
        );
        let ssm = SecretNames::defaults(&Backend::AwsParameterStore);
        assert_eq!(
            airflow_key("/airflow/variables/region", &ssm),
            (Kind::Variable, "region".to_string())
        );
    }
}
