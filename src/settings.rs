//! Which rules run. Selectors follow ruff: a full code (`DS101`), a prefix (`DS1`, `DS`) or
//! `ALL`; between a select and an ignore that both match a rule, the more specific one wins
//! and an ignore wins a tie.

use crate::registry::{RULES, Rule};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector(String);

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, String> {
        let text = text.trim().to_ascii_uppercase();
        if text == "ALL"
            || (!text.is_empty() && RULES.iter().any(|info| info.code.starts_with(&text)))
        {
            Ok(Selector(text))
        } else {
            Err(format!(
                "unknown rule selector `{text}`: expected a code such as `DS101`, a prefix such as `DS1`, or `ALL`"
            ))
        }
    }

    /// How many characters of the code this selector pins down; `None` when it does not
    /// match the rule at all.
    fn specificity(&self, rule: Rule) -> Option<usize> {
        if self.0 == "ALL" {
            Some(0)
        } else if rule.code().starts_with(&self.0) {
            Some(self.0.len())
        } else {
            None
        }
    }

    /// Whether the selector names this rule explicitly enough to turn on an opt-in rule:
    /// `ALL` does not, a prefix or a code does.
    fn enables_opt_in(&self, rule: Rule) -> bool {
        self.0 != "ALL" && rule.code().starts_with(&self.0)
    }
}

/// The set of enabled rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSet(u64);

impl RuleSet {
    pub fn empty() -> RuleSet {
        RuleSet(0)
    }

    pub fn defaults() -> RuleSet {
        let mut set = RuleSet::empty();
        for info in RULES.iter().filter(|info| info.default_on) {
            set.insert(info.rule);
        }
        set
    }

    fn bit(rule: Rule) -> u64 {
        let index = RULES
            .iter()
            .position(|info| info.rule == rule)
            .expect("every rule has a row in RULES");
        1 << index
    }

    pub fn insert(&mut self, rule: Rule) {
        self.0 |= Self::bit(rule);
    }

    pub fn contains(&self, rule: Rule) -> bool {
        self.0 & Self::bit(rule) != 0
    }

    /// Resolves `--select` (replacing the defaults when given), `--extend-select` and
    /// `--ignore` into the enabled set.
    pub fn resolve(
        select: Option<&[Selector]>,
        extend_select: &[Selector],
        ignore: &[Selector],
    ) -> RuleSet {
        let mut set = RuleSet::empty();
        for rule in Rule::all() {
            let best_select = select
                .map(|select| best(select, extend_select, rule))
                .unwrap_or_else(|| {
                    let from_extend = best(&[], extend_select, rule);
                    if rule.info().default_on {
                        from_extend.or(Some((0, true)))
                    } else {
                        from_extend
                    }
                });
            let best_ignore = ignore.iter().filter_map(|s| s.specificity(rule)).max();
            let enabled = match (best_select, best_ignore) {
                (None, _) => false,
                (Some((_, false)), _) => false,
                (Some(_), None) => true,
                (Some((selected, true)), Some(ignored)) => selected > ignored,
            };
            if enabled {
                set.insert(rule);
            }
        }
        set
    }
}

/// The most specific selector among `select` and `extend_select` that matches `rule`, and
/// whether it may turn the rule on (an opt-in rule needs to be named by code or prefix).
fn best(select: &[Selector], extend_select: &[Selector], rule: Rule) -> Option<(usize, bool)> {
    select
        .iter()
        .chain(extend_select)
        .filter_map(|s| {
            s.specificity(rule).map(|spec| {
                let allowed = rule.info().default_on || s.enables_opt_in(rule);
                (spec, allowed)
            })
        })
        .max_by_key(|(spec, allowed)| (*spec, *allowed))
}

/// Everything that decides what a check reports.
#[derive(Clone, Debug)]
pub struct Settings {
    pub rules: RuleSet,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rules: RuleSet::defaults(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(codes: &[&str]) -> Vec<Selector> {
        codes.iter().map(|c| Selector::parse(c).unwrap()).collect()
    }

    #[test]
    fn defaults_enable_default_rules() {
        let set = RuleSet::resolve(None, &[], &[]);
        assert!(set.contains(Rule::VariableGetAtParseTime));
        assert!(set.contains(Rule::UnparsableFile));
    }

    #[test]
    fn select_replaces_defaults() {
        let set = RuleSet::resolve(Some(&sel(&["DS1"])), &[], &[]);
        assert!(set.contains(Rule::VariableGetAtParseTime));
        assert!(!set.contains(Rule::UnparsableFile));
    }

    #[test]
    fn more_specific_select_beats_prefix_ignore() {
        let set = RuleSet::resolve(Some(&sel(&["DS101"])), &[], &sel(&["DS"]));
        assert!(set.contains(Rule::VariableGetAtParseTime));
        assert!(!set.contains(Rule::UnparsableFile));
    }

    #[test]
    fn ignore_wins_a_tie_and_a_more_specific_ignore_wins() {
        let set = RuleSet::resolve(None, &[], &sel(&["DS101"]));
        assert!(!set.contains(Rule::VariableGetAtParseTime));
        let set = RuleSet::resolve(Some(&sel(&["DS"])), &[], &sel(&["DS1"]));
        assert!(!set.contains(Rule::VariableGetAtParseTime));
        assert!(set.contains(Rule::UnparsableFile));
    }

    #[test]
    fn unknown_selectors_are_refused() {
        assert!(Selector::parse("E501").is_err());
        assert!(Selector::parse("").is_err());
        assert!(Selector::parse("ds101").is_ok());
        assert!(Selector::parse("all").is_ok());
    }
}
