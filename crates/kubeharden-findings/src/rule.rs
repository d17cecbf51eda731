//! What a report says about a rule: its metadata and documentation, without its check.

use crate::finding::Severity;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PssLevel {
    Baseline,
    Restricted,
}

impl PssLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            PssLevel::Baseline => "baseline",
            PssLevel::Restricted => "restricted",
        }
    }
}

/// The upstream Pod Security Standards check a rule implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pss {
    /// The check ID in kubernetes/pod-security-admission, e.g. `seccompProfile_restricted`.
    pub check: &'static str,
    pub level: PssLevel,
}

/// A MITRE ATT&CK technique (Containers matrix) the rule guards against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mitre {
    pub id: &'static str,
    pub name: &'static str,
}

/// A rule as reports describe it: the registry makes one for every rule from its
/// definition, its section and its file's `//!` comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable ID, e.g. `KH101`.
    pub id: &'static str,
    /// Stable kebab-case name, e.g. `privileged-container`.
    pub name: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// Rows of the NSA/CISA checklist this rule implements, e.g. `POD-12`.
    pub guidance: &'static [&'static str],
    pub pss: Option<Pss>,
    pub mitre: Option<Mitre>,
    /// The guidance section folder it lives in: pod, resources, images, secrets.
    pub section: &'static str,
    /// Markdown: what it does, why it matters, example, fix.
    pub doc: &'static str,
}

/// What to do about a rule's findings, from the `## Fix` section of its documentation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Fix {
    /// The fix in one line: the section's first paragraph.
    pub summary: String,
    /// The section's first YAML example, its indentation kept relative to its
    /// least indented line, where it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

impl RuleInfo {
    /// The fix its documentation gives, or none when it has no `## Fix` section.
    pub fn fix(&self) -> Option<Fix> {
        let (_, section) = self.doc.split_once("## Fix\n")?;
        let section = section.split("\n## ").next().unwrap_or(section);
        let mut lines = section
            .lines()
            .skip_while(|l| l.trim().is_empty())
            .peekable();
        let first = lines.peek().copied().unwrap_or_default();
        let summary = if first.trim_start().starts_with("```") {
            String::new()
        } else {
            let paragraph: Vec<&str> = lines
                .take_while(|l| !l.trim().is_empty() && !l.trim_start().starts_with("```"))
                .map(str::trim)
                .collect();
            paragraph.join(" ").trim_end_matches([':', '.']).to_string()
        };
        Some(Fix {
            summary,
            snippet: yaml_block(section),
        })
    }
}

/// The first ```` ```yaml ```` block of `text`, without its common indentation.
fn yaml_block(text: &str) -> Option<String> {
    let (_, rest) = text.split_once("```yaml\n")?;
    let body = rest.split("```").next()?;
    let lines: Vec<&str> = body.lines().collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()?;
    let dedented: Vec<&str> = lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect();
    Some(dedented.join("\n").trim_end().to_string() + "\n")
}

/// The rules a run used, as a report lists them (SARIF's rule descriptors, JUnit's
/// test cases, the count in the summary).
pub trait RuleCatalog {
    /// The rules, ordered by ID.
    fn rule_infos(&self) -> Vec<&RuleInfo>;

    /// Rules kept aside that judge only part of some inputs (the node rules on the
    /// control-plane pods a cluster shows): a report describes those that found
    /// something.
    fn rules_aside(&self) -> Vec<&RuleInfo> {
        Vec::new()
    }
}

impl RuleCatalog for [RuleInfo] {
    fn rule_infos(&self) -> Vec<&RuleInfo> {
        self.iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(doc: &'static str) -> RuleInfo {
        RuleInfo {
            id: "KH999",
            name: "test",
            title: "test",
            severity: Severity::Low,
            guidance: &[],
            pss: None,
            mitre: None,
            section: "pod",
            doc,
        }
    }

    #[test]
    fn fix_is_the_first_paragraph_and_the_first_yaml_block() {
        let rule = info("## What it does\nx\n\n## Fix\nSet the limits\non every container:\n```yaml\n  resources:\n    limits:\n      cpu: 500m\n```\nor a LimitRange.\n");
        let fix = rule.fix().unwrap();
        assert_eq!(fix.summary, "Set the limits on every container");
        assert_eq!(
            fix.snippet.as_deref(),
            Some("resources:\n  limits:\n    cpu: 500m\n")
        );
    }

    #[test]
    fn a_fix_without_prose_or_yaml_says_so() {
        let yaml_only = info("## Fix\n```yaml\na: 1\n```\n");
        assert_eq!(yaml_only.fix().unwrap().summary, "");
        let prose_only = info("## Fix\nRemove it.\n\n## Notes\n```yaml\nb: 2\n```\n");
        assert_eq!(prose_only.fix().unwrap().snippet, None);
        assert_eq!(info("## What it does\nx\n").fix(), None);
    }
}
