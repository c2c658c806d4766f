//! `--statistics`: diagnostics counted per rule, then where the parse-time lookups go and
//! what they cost a month.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::registry::Rule;
use crate::run::FileReport;
use crate::statistics::LookupTally;

/// The diagnostics of `reports` per rule, and their lookups summed.
fn count(reports: &[FileReport]) -> (BTreeMap<Rule, usize>, LookupTally) {
    let mut counts: BTreeMap<Rule, usize> = BTreeMap::new();
    let mut tally = LookupTally::default();
    for report in reports {
        for d in &report.diagnostics {
            *counts.entry(d.rule()).or_default() += 1;
        }
        tally.add(&report.lookups);
    }
    (counts, tally)
}

/// `--statistics --output-format json`: the same figures as an object, `rules` as ruff's
/// `--statistics` JSON has them (`code`, `name`, `count`), then the lookups and the cost.
pub fn write_json(reports: &[FileReport], out: &mut dyn Write) -> io::Result<()> {
    let (counts, tally) = count(reports);
    let rules: Vec<serde_json::Value> = counts
        .iter()
        .map(|(rule, count)| {
            serde_json::json!({"code": rule.code(), "name": rule.name(), "count": count})
        })
        .collect();
    let value = serde_json::json!({
        "rules": rules,
        "parse_time_lookups": {
            "aws": tally.aws_total(),
            "aws_variables": tally.aws_variables,
            "aws_connections": tally.aws_connections,
            "aws_direct_secrets_manager": tally.aws_direct,
            "elsewhere": tally.elsewhere,
            "unknown_name": tally.unknown,
        },
        "estimated_cost": {
            "calls_per_month": tally.monthly_calls.round() as u64,
            "usd_per_month": (tally.monthly_cost * 100.0).round() / 100.0,
            "per": "DAG processor",
            "task_start_parses": false,
        },
    });
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}

pub fn write(reports: &[FileReport], out: &mut dyn Write) -> io::Result<()> {
    let (counts, tally) = count(reports);
    let width = counts
        .values()
        .map(|c| c.to_string().len())
        .max()
        .unwrap_or(1);
    for (rule, count) in &counts {
        writeln!(out, "{count:>width$}  {}  {}", rule.code(), rule.name())?;
    }
    if !counts.is_empty() {
        writeln!(out)?;
    }
    writeln!(
        out,
        "Parse-time lookups that reach AWS: {} ({} variables, {} connections, {} direct Secrets Manager reads)",
        tally.aws_total(),
        tally.aws_variables,
        tally.aws_connections,
        tally.aws_direct
    )?;
    writeln!(
        out,
        "Parse-time lookups the lookup pattern sends elsewhere (environment, metastore): {}",
        tally.elsewhere
    )?;
    writeln!(
        out,
        "Parse-time lookups with a name dagsafe cannot tell (not counted): {}",
        tally.unknown
    )?;
    writeln!(
        out,
        "Estimated cost: {} calls a month, ${:.2} a month per DAG processor (before task-start parses)",
        group_thousands(tally.monthly_calls.round() as u64),
        tally.monthly_cost
    )?;
    Ok(())
}

pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands() {
        assert_eq!(super::group_thousands(0), "0");
        assert_eq!(super::group_thousands(86400), "86,400");
        assert_eq!(super::group_thousands(1234567), "1,234,567");
    }
}
