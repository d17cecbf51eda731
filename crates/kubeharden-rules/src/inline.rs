//! Inline exceptions: `kubeharden.io/ignore: KH101,KH133` with
//! `kubeharden.io/ignore-reason: "..."` in an object's annotations. On a workload they
//! may also sit on its pod template, whose annotations its Pods carry; either way
//! they cover every finding of the object. They name rules as configured exceptions
//! do: IDs, ID prefixes (`KH1`) or names. An ignore without a reason does not apply
//! (rule KH906 reports it), and neither does a name that is no rule.

use std::collections::HashMap;
use std::sync::Arc;

use kubeharden_findings::{Finding, ScanReport, Suppression, SuppressionKind};
use kubeharden_load::{Object, Resource, WORKLOAD_KINDS};
use kubeharden_yaml::{FieldPath, Node, Seg};

use crate::registry::all_rules;

/// The annotation that names the rules an object is excepted from.
pub const IGNORE_ANNOTATION: &str = "kubeharden.io/ignore";
/// The annotation that says why.
pub const REASON_ANNOTATION: &str = "kubeharden.io/ignore-reason";

/// An `ignore` annotation as written, where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineIgnore {
    /// The names listed, trimmed, empty ones left out.
    pub names: Vec<String>,
    /// The reason annotation of the same metadata, if it is there and not blank.
    pub reason: Option<String>,
    /// The path of the `ignore` annotation in the object.
    pub path: FieldPath,
    /// Its line (0 for an object read from a cluster).
    pub line: u32,
}

impl InlineIgnore {
    /// The rules the names resolve to (IDs or ID prefixes such as `KH1`, any case, or
    /// names), as a configured exception's `rules` take them, and the names that are
    /// no rule.
    pub fn resolve(&self) -> (Vec<&'static str>, Vec<&str>) {
        let mut rules = Vec::new();
        let mut unknown = Vec::new();
        for name in &self.names {
            let named: Vec<&'static str> = all_rules()
                .iter()
                .filter(|r| names_rule(r.def.id, r.def.name, name))
                .map(|r| r.def.id)
                .collect();
            match named.is_empty() {
                true => unknown.push(name.as_str()),
                false => rules.extend(named),
            }
        }
        rules.sort_unstable();
        rules.dedup();
        (rules, unknown)
    }
}

/// Whether `pattern` names the rule: its name, its ID, or a prefix of its ID.
fn names_rule(id: &str, name: &str, pattern: &str) -> bool {
    name.eq_ignore_ascii_case(pattern)
        || id
            .get(..pattern.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(pattern))
}

/// The ignore annotations of an object: on its own metadata and, for a workload, on
/// its pod template's.
pub fn inline_ignores(object: &Object) -> Vec<InlineIgnore> {
    let mut places = vec![FieldPath::parse("metadata")];
    let res = &object.resource;
    let group = res.api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let template = WORKLOAD_KINDS
        .iter()
        .find(|(kind, groups, _)| *kind == res.kind && groups.contains(&group))
        .map(|(_, _, template)| *template)
        .filter(|t| !t.is_empty());
    if let Some(template) = template {
        places.push(FieldPath::parse(template).key("metadata"));
    }
    places
        .into_iter()
        .filter_map(|meta| ignore_at(&object.root, meta))
        .collect()
}

fn ignore_at(root: &Node, meta: FieldPath) -> Option<InlineIgnore> {
    let annotations = meta.key("annotations");
    let node = annotations
        .segments()
        .iter()
        .try_fold(root, |node, seg| match seg {
            Seg::Key(key) => node.get(key),
            Seg::Index(i) => node.items().get(*i),
        })?;
    let ignore = node.get(IGNORE_ANNOTATION)?;
    let names = ignore
        .scalar_text()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    let reason = node
        .get(REASON_ANNOTATION)
        .and_then(Node::scalar_text)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    Some(InlineIgnore {
        names,
        reason,
        path: annotations.key(IGNORE_ANNOTATION),
        line: ignore.pos.line,
    })
}

/// An inline exception that applies: it has a reason and names rules.
#[derive(Clone, Debug)]
pub struct InlineException {
    pub file: Arc<str>,
    pub resource: Arc<Resource>,
    pub rules: Vec<&'static str>,
    pub reason: String,
    pub line: u32,
}

impl InlineException {
    fn suppression(&self) -> Suppression {
        let source = match self.line {
            0 => format!("{}: {IGNORE_ANNOTATION}", self.file),
            line => format!("{}:{line}", self.file),
        };
        Suppression {
            kind: SuppressionKind::Inline,
            reason: self.reason.clone(),
            owner: None,
            expires: None,
            source,
        }
    }
}

/// The inline exceptions of an object that apply: those with a reason, for the rules
/// they name that exist.
pub fn inline_exceptions(object: &Object) -> Vec<InlineException> {
    inline_ignores(object)
        .into_iter()
        .filter_map(|ignore| {
            let reason = ignore.reason.clone()?;
            let (rules, _) = ignore.resolve();
            (!rules.is_empty()).then(|| InlineException {
                file: object.file.clone(),
                resource: object.resource.clone(),
                rules,
                reason,
                line: ignore.line,
            })
        })
        .collect()
}

/// Suppresses the findings of `report` that inline exceptions cover: a finding of an
/// object (the same definition: file and identity) whose annotations except its rule.
pub fn apply_inline(report: &mut ScanReport, exceptions: &[InlineException]) {
    if exceptions.is_empty() {
        return;
    }
    let mut by_object: HashMap<(&str, &Resource), Vec<&InlineException>> = HashMap::new();
    for e in exceptions {
        by_object
            .entry((&*e.file, &*e.resource))
            .or_default()
            .push(e);
    }
    let whole = |e: &InlineException, f: &Finding| {
        e.rules.contains(&f.rule_id) && f.unaccepted_merged(|id| e.rules.contains(&id)).is_empty()
    };
    // One that names the finding's rule but not every rule it stands for keeps it.
    for f in &mut report.findings {
        let Some(found) = by_object.get(&(&*f.location.file, &*f.resource)) else {
            continue;
        };
        if found.iter().any(|e| whole(e, f)) {
            continue;
        }
        if let Some(partial) = found.iter().find(|e| e.rules.contains(&f.rule_id)) {
            let left = f.unaccepted_merged(|id| partial.rules.contains(&id));
            f.note_partly_accepted(&partial.suppression().source, &left);
        }
    }
    report.suppress(|f: &Finding| {
        let found = by_object.get(&(&*f.location.file, &*f.resource))?;
        let exception = found.iter().find(|e| whole(e, f))?;
        Some(exception.suppression())
    });
}
