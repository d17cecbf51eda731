//! Findings of rendered objects (a chart's, an overlay's) mapped back to the source
//! that made them, once the report is complete.
//!
//! The mapping waits for the end of the scan because many findings are not made while
//! their object is checked: the cluster-wide rules (RBAC grants, Services and the
//! workloads they expose, NetworkPolicies, ServiceAccounts) run on the cluster view
//! after every object has been seen, and the findings of one object are merged,
//! judged through their owners and matched with inline exceptions by the place the
//! object was read from. So each render keeps its objects and its source map until
//! then, and every finding in its rendered text goes through the same matcher.

use std::collections::HashMap;

use kubeharden_findings::{Finding, Location, Requirement, ScanReport};
use kubeharden_load::{LoadError, LoadErrorKind, Object, Resource};
use kubeharden_render::SourceMap;

/// One render's source map and the objects it rendered.
pub(crate) struct Mapped {
    pub map: Box<dyn SourceMap>,
    pub objects: Vec<Object>,
}

impl std::fmt::Debug for Mapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapped")
            .field("objects", &self.objects.len())
            .finish_non_exhaustive()
    }
}

/// Maps every finding (and every suppressed one) of a rendered object to its source.
pub(crate) fn map_findings(report: &mut ScanReport, mapped: &[Mapped]) {
    if mapped.is_empty() {
        return;
    }
    let index = Index::new(mapped);
    for finding in &mut report.findings {
        index.map(finding);
    }
    for suppressed in &mut report.suppressed {
        index.map(&mut suppressed.finding);
    }
}

/// Maps each error about a field of a rendered object (a container without a name,
/// a boolean written `"yes"`) to the template or file that wrote the field, as its
/// findings are: the error names the source, and where the render put it.
pub(crate) fn map_errors(errors: &mut [LoadError], mapped: &[Mapped]) {
    if mapped.is_empty() {
        return;
    }
    let index = Index::new(mapped);
    for error in errors {
        index.map_error(error);
    }
}

/// A finding on a binding's subject (KH601: bound to cluster-admin) is decided by the
/// role it binds too: where a chart value or a patch sets `roleRef.name`, the message
/// names it, so that the grant is changed where it is made, not only the subject.
fn name_the_role(finding: &mut Finding, object: &Object, map: &dyn SourceMap) {
    let binding = matches!(&*object.resource.kind, "RoleBinding" | "ClusterRoleBinding");
    if !binding || !finding.path.starts_with("subjects") {
        return;
    }
    let Some(rendered) = finding.rendered.clone() else {
        return;
    };
    let mut probe = Finding::probe(
        finding.resource.clone(),
        rendered,
        "roleRef.name".to_string(),
    );
    map.map(object, &mut probe);
    // Named only where something other than the template's text decides it.
    let decided = probe.value.is_some() || probe.message.contains("patch");
    if probe.rendered.is_none() || !decided {
        return;
    }
    let tag = probe.variant.as_ref().map(|v| format!(" [values-set {v}]"));
    let untagged = |text: &str| match &tag {
        Some(tag) => text.replace(tag.as_str(), ""),
        None => text.to_string(),
    };
    finding.message = format!(
        "{}; the role it binds (roleRef.name) is written at {}:{}{}{}",
        untagged(&finding.message),
        probe.location.file,
        probe.location.line,
        untagged(&probe.message),
        tag.as_deref().unwrap_or_default()
    );
    if finding.value.is_none() {
        finding.value = probe.value;
    }
}

/// A rendered object and the source map of its render.
type WithMap<'a> = (&'a Object, &'a dyn SourceMap);

/// The rendered objects by the text they are in and their identity.
struct Index<'a> {
    by_object: HashMap<(&'a str, &'a Resource), Vec<WithMap<'a>>>,
    /// The rendered texts' names (`web (helm template)`), each once.
    files: Vec<&'a str>,
}

impl<'a> Index<'a> {
    fn new(mapped: &'a [Mapped]) -> Index<'a> {
        let mut by_object: HashMap<_, Vec<_>> = HashMap::new();
        let mut files = Vec::new();
        for one in mapped {
            for object in &one.objects {
                let key = (&*object.file, &*object.resource);
                by_object.entry(key).or_default().push((object, &*one.map));
                if !files.contains(&&*object.file) {
                    files.push(&*object.file);
                }
            }
        }
        Index { by_object, files }
    }

    /// Rewrites the places in rendered text that a finding names beside its own (the
    /// role of a grant, `ClusterRole x (web (helm template):3)`; the bindings of an
    /// escalation path) to the template or base file that wrote that object, as its
    /// own location is: the user edits the source, and the render is gone.
    fn name_sources(&self, finding: &mut Finding) {
        for file in &self.files {
            if finding.message.contains(file) {
                finding.message = self.sourced(&finding.message, file);
            }
            for detail in finding.details.iter_mut().filter(|d| d.contains(file)) {
                *detail = self.sourced(detail, file);
            }
        }
    }

    /// `text` with each `FILE:LINE` of the rendered text `file` replaced by the source
    /// of the object at that line, where it maps.
    fn sourced(&self, text: &str, file: &str) -> String {
        let prefix = format!("{file}:");
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = rest.find(&prefix) {
            let after = &rest[i + prefix.len()..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            let source = after[..digits]
                .parse()
                .ok()
                .and_then(|line| self.source_of(file, line));
            out.push_str(&rest[..i]);
            match source {
                Some(place) => out.push_str(&place),
                None => out.push_str(&rest[i..i + prefix.len() + digits]),
            }
            rest = &after[digits..];
        }
        out.push_str(rest);
        out
    }

    /// Where the source of the rendered object at `line` of `file` writes its name.
    fn source_of(&self, file: &str, line: u32) -> Option<String> {
        let (object, map) = self
            .by_object
            .iter()
            .filter(|((f, _), _)| *f == file)
            .flat_map(|(_, objects)| objects)
            .filter(|(o, _)| o.root.pos.line <= line)
            .max_by_key(|(o, _)| o.root.pos.line)?;
        let at = Location {
            file: object.file.clone(),
            line: object.root.pos.line,
            column: object.root.pos.col,
        };
        let mut probe = Finding::probe(object.resource.clone(), at, "metadata.name".into());
        map.map(object, &mut probe);
        probe.rendered?;
        Some(format!("{}:{}", probe.location.file, probe.location.line))
    }

    /// Maps `finding` if it is in a rendered text and not mapped yet: of the objects
    /// of its identity there (one, unless the render repeats an object), the last
    /// that starts at or before its line.
    fn map(&self, finding: &mut Finding) {
        self.name_sources(finding);
        if finding.rendered.is_some() {
            return;
        }
        let (file, resource) = (finding.location.file.clone(), finding.resource.clone());
        let key = (&*file, &*resource);
        let Some(candidates) = self.by_object.get(&key) else {
            return;
        };
        let line = finding.location.line;
        let chosen = candidates
            .iter()
            .filter(|(o, _)| o.root.pos.line <= line)
            .max_by_key(|(o, _)| o.root.pos.line)
            .or(candidates.first());
        if let Some((object, map)) = chosen {
            map.map(object, finding);
            self.name_the_account(finding, &object.file, *map);
            name_the_role(finding, object, *map);
        }
    }

    /// Maps a field error of a rendered object: of the objects of its kind and name
    /// in its rendered text, the last that starts at or before its line.
    fn map_error(&self, error: &mut LoadError) {
        let (Some(pos), LoadErrorKind::Field(field)) = (error.pos, &mut error.kind) else {
            return;
        };
        let chosen = self
            .by_object
            .iter()
            .filter(|((file, r), _)| {
                *file == &*error.file && r.kind == field.kind && r.name == field.name
            })
            .flat_map(|(_, objects)| objects)
            .filter(|(o, _)| o.root.pos.line <= pos.line)
            .max_by_key(|(o, _)| o.root.pos.line);
        let Some((object, map)) = chosen else {
            return;
        };
        let at = Location {
            file: error.file.clone(),
            line: pos.line,
            column: pos.col,
        };
        let mut probe = Finding::probe(object.resource.clone(), at, field.path.clone());
        map.map(object, &mut probe);
        let Some(rendered) = probe.rendered else {
            return;
        };
        field.problem.push_str(&format!(
            "{} (rendered at {}:{}:{})",
            probe.message, rendered.file, rendered.line, rendered.column
        ));
        error.file = probe.location.file.clone();
        error.pos = Some(kubeharden_yaml::Pos::new(
            probe.location.line,
            probe.location.column,
        ));
    }

    /// A finding whose condition is a ServiceAccount's automount (KH402 on a pod that
    /// sets none) is on the pod, but the account's field decides it: when the same
    /// render wrote that account, the message names the template line and the value
    /// that write its `automountServiceAccountToken`.
    fn name_the_account(&self, finding: &mut Finding, file: &str, map: &dyn SourceMap) {
        let Some(Requirement::ServiceAccountAutomounts { namespace, name }) =
            finding.requires.as_deref()
        else {
            return;
        };
        let account = self.by_object.iter().find_map(|((f, r), objects)| {
            let here = *f == file && r.kind == "ServiceAccount" && r.name == *name;
            let same_ns = r.namespace.as_deref().unwrap_or("default") == namespace;
            (here && same_ns).then(|| objects.first()).flatten()
        });
        let Some((account, _)) = account else {
            return;
        };
        let mut probe = finding.clone();
        probe.resource = account.resource.clone();
        probe.path = "automountServiceAccountToken".to_string();
        probe.keyed_path = None;
        probe.message = String::new();
        probe.value = None;
        probe.rendered = None;
        probe.location = Location {
            file: account.file.clone(),
            line: account.root.pos.line,
            column: account.root.pos.col,
        };
        map.map(account, &mut probe);
        if probe.rendered.is_none() {
            return;
        }
        let at = format!("{}:{}", probe.location.file, probe.location.line);
        // The variant's tag ends the whole message, once.
        let tag = probe.variant.as_ref().map(|v| format!(" [values-set {v}]"));
        let untagged = |text: &str| match &tag {
            Some(tag) => text.replace(tag.as_str(), ""),
            None => text.to_string(),
        };
        finding.message = format!(
            "{}; the ServiceAccount {name:?} is written at {at}{}{}",
            untagged(&finding.message),
            untagged(&probe.message),
            tag.as_deref().unwrap_or_default()
        );
        if finding.value.is_none() {
            finding.value = probe.value;
        }
    }
}
