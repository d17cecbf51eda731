//! Label selectors, exactly as Kubernetes reads them.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

pub type Labels = BTreeMap<String, String>;

/// Whether a selector matches, when the labels might not all be known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    Yes,
    No,
    /// The answer depends on labels the scan does not show.
    Unknown,
}

impl Match {
    pub fn and(self, other: Match) -> Match {
        match (self, other) {
            (Match::No, _) | (_, Match::No) => Match::No,
            (Match::Yes, Match::Yes) => Match::Yes,
            _ => Match::Unknown,
        }
    }

    pub fn or(self, other: Match) -> Match {
        match (self, other) {
            (Match::Yes, _) | (_, Match::Yes) => Match::Yes,
            (Match::No, Match::No) => Match::No,
            _ => Match::Unknown,
        }
    }

    pub fn from_bool(b: bool) -> Match {
        if b {
            Match::Yes
        } else {
            Match::No
        }
    }
}

fn requirement_matches(req: &LabelSelectorRequirement, labels: &Labels) -> bool {
    let values = req.values.as_deref().unwrap_or_default();
    let value = labels.get(&req.key);
    match req.operator.as_str() {
        "In" => value.is_some_and(|v| values.contains(v)),
        "NotIn" => value.is_none_or(|v| !values.contains(v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        // An unknown operator is invalid and rejected by the API server: it selects nothing.
        _ => false,
    }
}

/// Whether `selector` selects an object with `labels`. An empty selector selects
/// everything.
pub fn matches(selector: &LabelSelector, labels: &Labels) -> bool {
    selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v))
        && selector
            .match_expressions
            .iter()
            .flatten()
            .all(|req| requirement_matches(req, labels))
}

/// Like [`matches`], for labels of which only `known_keys` are known (a namespace
/// whose Namespace object is not in the scan only has its `kubernetes.io/metadata.name`).
pub fn matches_partly(
    selector: &LabelSelector,
    labels: &Labels,
    known_keys: Option<&[&str]>,
) -> Match {
    let Some(known) = known_keys else {
        return Match::from_bool(matches(selector, labels));
    };
    let mut result = Match::Yes;
    for (k, v) in selector.match_labels.iter().flatten() {
        result = result.and(if known.contains(&k.as_str()) {
            Match::from_bool(labels.get(k) == Some(v))
        } else {
            Match::Unknown
        });
    }
    for req in selector.match_expressions.iter().flatten() {
        let known_key = known.contains(&req.key.as_str());
        result = result.and(if known_key {
            Match::from_bool(requirement_matches(req, labels))
        } else {
            Match::Unknown
        });
    }
    result
}

/// `a=b,c in (d,e)` for messages.
pub fn describe(selector: &LabelSelector) -> String {
    let mut parts: Vec<String> = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for req in selector.match_expressions.iter().flatten() {
        let values = req.values.as_deref().unwrap_or_default().join(",");
        parts.push(match req.operator.as_str() {
            "Exists" => req.key.clone(),
            "DoesNotExist" => format!("!{}", req.key),
            op => format!("{} {} ({values})", req.key, op.to_ascii_lowercase()),
        });
    }
    if parts.is_empty() {
        "{} (everything)".to_string()
    } else {
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn req(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: Some(values.iter().map(|v| v.to_string()).collect()),
        }
    }

    #[test]
    fn empty_selector_selects_everything() {
        assert!(matches(&LabelSelector::default(), &labels(&[])));
    }

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let sel = LabelSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: Some(vec![
                req("tier", "In", &["front", "edge"]),
                req("env", "NotIn", &["dev"]),
                req("team", "Exists", &[]),
                req("legacy", "DoesNotExist", &[]),
            ]),
        };
        assert!(matches(
            &sel,
            &labels(&[("app", "web"), ("tier", "edge"), ("team", "a")])
        ));
        assert!(matches(
            &sel,
            &labels(&[
                ("app", "web"),
                ("tier", "edge"),
                ("team", "a"),
                ("env", "prod")
            ])
        ));
        assert!(!matches(
            &sel,
            &labels(&[
                ("app", "web"),
                ("tier", "edge"),
                ("team", "a"),
                ("env", "dev")
            ])
        ));
        assert!(!matches(
            &sel,
            &labels(&[("app", "web"), ("tier", "back"), ("team", "a")])
        ));
        assert!(!matches(&sel, &labels(&[("app", "web"), ("tier", "edge")])));
        assert!(!matches(
            &sel,
            &labels(&[
                ("app", "web"),
                ("tier", "edge"),
                ("team", "a"),
                ("legacy", "1")
            ])
        ));
    }

    #[test]
    fn unknown_labels_give_unknown_not_a_guess() {
        let ns = labels(&[("kubernetes.io/metadata.name", "prod")]);
        let known: &[&str] = &["kubernetes.io/metadata.name"];
        let by_name = LabelSelector {
            match_labels: Some(labels(&[("kubernetes.io/metadata.name", "prod")])),
            ..Default::default()
        };
        assert_eq!(matches_partly(&by_name, &ns, Some(known)), Match::Yes);
        let by_team = LabelSelector {
            match_labels: Some(labels(&[("team", "a")])),
            ..Default::default()
        };
        assert_eq!(matches_partly(&by_team, &ns, Some(known)), Match::Unknown);
        let other = LabelSelector {
            match_labels: Some(labels(&[
                ("kubernetes.io/metadata.name", "dev"),
                ("team", "a"),
            ])),
            ..Default::default()
        };
        assert_eq!(matches_partly(&other, &ns, Some(known)), Match::No);
        assert_eq!(
            matches_partly(&LabelSelector::default(), &ns, Some(known)),
            Match::Yes
        );
    }
}
