//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning accepts it.

use std::cell::RefCell;
use std::io::{self, Write};
use std::path::{Component, Path};

use kubeharden_findings::{Finding, RuleInfo, Severity, Suppression, SuppressionKind};
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::{json, Value};

use crate::Report;

fn level(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub sorts and filters security alerts by this score (0.0 to 10.0).
fn security_severity(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// The base of relative artifact URIs: the working directory, given in the run's
/// `originalUriBaseIds` (GitHub code scanning resolves them against its checkout).
const SRCROOT: &str = "%SRCROOT%";

/// The URI of a scanned file, and whether it is relative to [`SRCROOT`]: relative to
/// the current folder where the file is below it, however the path was given
/// (absolute, with `..`, through a symbolic link), a `file://` URI otherwise; forward
/// slashes, and anything that is not an unreserved or path character percent-encoded.
fn uri(path: &str) -> (String, bool) {
    if path == "<stdin>" {
        return ("stdin".to_string(), false);
    }
    // An object read from a cluster: its location is already a URI.
    if path.starts_with("cluster://") {
        return (path.to_string(), false);
    }
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| below(Path::new(path), &cwd));
    match relative {
        Some(rel) => (encode(&rel), true),
        None if path.starts_with('/') => (format!("file://{}", encode(path)), false),
        // Above the current folder (`../base/app.yaml`, a Kustomize base): a
        // relative URI would be read against the checkout's root and name another
        // file, so the file's own absolute one.
        None => match absolute(path) {
            Some(abs) => (format!("file://{}", encode(&abs)), false),
            None => (encode(path), false),
        },
    }
}

/// The absolute path of a relative one, resolved (`..`, symbolic links).
fn absolute(path: &str) -> Option<String> {
    let real = std::fs::canonicalize(path).ok()?;
    Some(real.display().to_string())
}

/// `path` relative to `cwd` when it is below it: by its components as given, else
/// once both are resolved (`..`, symbolic links), which asks the file system.
fn below(path: &Path, cwd: &Path) -> Option<String> {
    let joined = cwd.join(path);
    if let Ok(rel) = joined.strip_prefix(cwd) {
        if rel.components().all(|c| matches!(c, Component::Normal(_))) {
            return Some(rel.display().to_string());
        }
    }
    let real = std::fs::canonicalize(&joined).ok()?;
    let real_cwd = std::fs::canonicalize(cwd).ok()?;
    let rel = real.strip_prefix(real_cwd).ok()?;
    Some(rel.display().to_string())
}

/// An artifact location: a relative URI names its base.
fn artifact(file: &str) -> Value {
    thread_local! {
        // Findings come sorted by file: the last file's answer saves asking the
        // file system again for each of its findings.
        static LAST: RefCell<Option<(String, Value)>> = const { RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((known, value)) = last.as_ref().filter(|(known, _)| known == file) {
            debug_assert_eq!(known, file);
            return value.clone();
        }
        let value = match uri(file) {
            (uri, true) => json!({ "uri": uri, "uriBaseId": SRCROOT }),
            (uri, false) => json!({ "uri": uri }),
        };
        *last = Some((file.to_string(), value.clone()));
        value
    })
}

/// The run's `originalUriBaseIds`: where [`SRCROOT`] is, as a `file://` URI ending
/// in `/`.
fn uri_base_ids() -> Value {
    let Ok(cwd) = std::env::current_dir() else {
        return json!({});
    };
    let dir = cwd.display().to_string();
    let dir = dir.trim_end_matches('/');
    json!({ SRCROOT: { "uri": format!("file://{}/", encode(dir)) } })
}

fn encode(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rule_descriptor(d: &RuleInfo) -> Value {
    let mut tags: Vec<String> = vec!["security".into(), "kubernetes".into()];
    tags.extend(d.guidance.iter().map(|g| format!("NSA-CISA/{g}")));
    if let Some(pss) = d.pss {
        tags.push(format!("PSS/{}/{}", pss.level.as_str(), pss.check));
    }
    if let Some(m) = d.mitre {
        tags.push(format!("MITRE/{}", m.id));
    }
    json!({
        "id": d.id,
        "name": d.name,
        "shortDescription": { "text": d.title },
        "fullDescription": { "text": first_paragraph(d.doc) },
        "help": { "text": d.doc, "markdown": d.doc },
        "helpUri": help_uri(d.id),
        "defaultConfiguration": { "level": level(d.severity) },
        "properties": {
            "tags": tags,
            "precision": "high",
            "problem.severity": level(d.severity),
            "security-severity": security_severity(d.severity),
        },
    })
}

/// The rule's section of docs/rules.md in the repository (GitHub anchors a `## KH101`
/// heading as `#kh101`), for code-scanning UIs that link a rule to its page.
fn help_uri(id: &str) -> String {
    format!(
        "{}/blob/main/docs/rules.md#{}",
        env!("CARGO_PKG_REPOSITORY"),
        id.to_ascii_lowercase()
    )
}

fn first_paragraph(doc: &str) -> String {
    doc.lines()
        .skip_while(|l| l.starts_with('#') || l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where a finding is: its file and region, or for an object read from a cluster
/// (no line), its `cluster://` URI alone; and the object, with the field path.
fn finding_location(f: &kubeharden_findings::Finding, logical: &str) -> Value {
    let mut at = location(&f.location.file, Some((f.location.line, f.location.column)));
    at["logicalLocations"] =
        json!([{ "name": f.resource.name, "fullyQualifiedName": logical, "kind": "object" }]);
    at
}

pub fn write_sarif(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let rules = report.described_rules();
    let skipped = report.scan.skipped.iter().map(|s| {
        // No rule named: nothing of the scope was judged.
        let text = match s.rules.is_empty() {
            true => format!("{}: not judged ({})", s.scope, s.reason),
            false => format!(
                "{}: {} not judged ({})",
                s.scope,
                s.rules.join(", "),
                s.reason
            ),
        };
        json!({ "level": "note", "message": { "text": text } })
    });
    let notifications: Vec<Value> = report
        .scan
        .errors
        .iter()
        .map(|e| {
            json!({ "level": "error", "message": { "text": e.message() }, "locations": [location(&e.file, e.pos.map(|p| (p.line, p.col)))] })
        })
        .chain(report.scan.warnings.iter().map(|w| {
            json!({ "level": "warning", "message": { "text": w.kind.to_string() }, "locations": [location(&w.file, w.pos.map(|p| (p.line, p.col)))] })
        }))
        .chain(skipped)
        .collect();
    // Keys in the order serde_json's maps keep them (sorted), as before results were
    // streamed; `results` is written one finding at a time.
    let doc = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        runs: [Run {
            invocations: json!([{ "executionSuccessful": report.scan.errors.is_empty(), "toolExecutionNotifications": notifications }]),
            original_uri_base_ids: uri_base_ids(),
            results: Results {
                report,
                rules: &rules,
            },
            tool: json!({ "driver": {
                "name": "kubeharden",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/kubeharden/kubeharden",
                "rules": rules.iter().map(|r| rule_descriptor(r)).collect::<Vec<_>>(),
            }}),
        }],
        version: "2.1.0",
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
struct Run<'a> {
    invocations: Value,
    #[serde(rename = "originalUriBaseIds")]
    original_uri_base_ids: Value,
    results: Results<'a>,
    tool: Value,
}

/// The results, made one at a time as they are written: a report of 171,000 findings
/// built whole as JSON values took 2.3 GB.
struct Results<'a> {
    report: &'a Report<'a>,
    rules: &'a [&'a RuleInfo],
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let scan = self.report.scan;
        let mut seq =
            serializer.serialize_seq(Some(scan.findings.len() + scan.suppressed.len()))?;
        for f in &scan.findings {
            seq.serialize_element(&result(f, self.rules))?;
        }
        for s in &scan.suppressed {
            let mut result = result(&s.finding, self.rules);
            result["suppressions"] = json!([suppression(&s.suppression)]);
            seq.serialize_element(&result)?;
        }
        seq.end()
    }
}

/// One result: the finding, located, with its fingerprint.
fn result(f: &Finding, rules: &[&RuleInfo]) -> Value {
    let index = rules.iter().position(|r| r.id == f.rule_id);
    let mut properties =
        json!({ "severity": f.severity.as_str(), "guidance": f.guidance, "path": f.path });
    if let Some(source) = &f.helm_source {
        properties["helmSource"] = json!(source);
    }
    // An audit-log alert's who, from where, when and which events, as in JSON.
    if let Some(alert) = &f.alert {
        properties["alert"] = json!(alert);
    }
    let res = &f.resource;
    let logical = match res.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => format!("{}/{ns}/{}", res.kind, res.name),
        _ => format!("{}/{}", res.kind, res.name),
    };
    let mut result = json!({
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": level(f.severity),
        "message": { "text": result_text(f) },
        "locations": [finding_location(f, &logical)],
        "partialFingerprints": { "kubeharden/v3": f.fingerprint() },
        "properties": properties,
    });
    let related = related_locations(f);
    if !related.is_empty() {
        result["relatedLocations"] = json!(related);
    }
    result
}

/// The result's text: the message, then an alert's facts (it has no field path) or
/// the finding's field path.
fn result_text(f: &Finding) -> String {
    let after = match &f.alert {
        Some(a) => crate::alert_line(a),
        None => f.path.clone(),
    };
    format!("{}: {} ({after})", f.title, f.message)
}

/// The other places of a finding mapped to its source: the chart value behind it
/// (where it is set, or the block it would go in), the base resource a patch
/// changed, and where the render put it. A
/// code host shows them beside the template line, so the value is one click away.
/// A value given on the command line (`--set`) is no file's and is left out.
fn related_locations(f: &Finding) -> Vec<Value> {
    let mut related = Vec::new();
    if let Some(value) = f.value.as_deref().filter(|v| v.location.line > 0) {
        let text = match value.set {
            true => format!("value set here: {}", value.key),
            false => format!("value not set: set {} here", value.key),
        };
        related.push((&value.location, text));
    }
    if let Some(base) = &f.base {
        related.push((
            base,
            "the base resource, which the patch changes".to_string(),
        ));
    }
    if let Some(rendered) = &f.rendered {
        // `web (helm template)` names the render's output, which no file holds.
        let text = "rendered here, in the render's output (not a file on disk)";
        related.push((rendered, text.to_string()));
    }
    related
        .into_iter()
        .enumerate()
        .map(|(id, (at, text))| {
            let mut at_json = location(&at.file, Some((at.line, at.column)));
            at_json["id"] = json!(id + 1);
            at_json["message"] = json!({ "text": text });
            at_json
        })
        .collect()
}

/// A SARIF suppression: an annotation on the object is in the source, an exception
/// in the configuration file or a baseline is external to it.
fn suppression(s: &Suppression) -> Value {
    let kind = match s.kind {
        SuppressionKind::Inline => "inSource",
        SuppressionKind::Config | SuppressionKind::Baseline => "external",
    };
    let mut properties = json!({ "kubeharden": s.kind.as_str(), "source": s.source });
    if let Some(owner) = &s.owner {
        properties["owner"] = json!(owner);
    }
    if let Some(expires) = &s.expires {
        properties["expires"] = json!(expires);
    }
    json!({
        "kind": kind,
        "status": "accepted",
        "justification": s.reason,
        "properties": properties,
    })
}

/// A notification's location: the file, and the place in it when known.
/// `pos` is (line, column).
/// A file and, when known, a region. An object read from a cluster has no line (0):
/// its `cluster://` URI alone.
fn location(file: &str, pos: Option<(u32, u32)>) -> Value {
    let mut location = json!({ "physicalLocation": { "artifactLocation": artifact(file) } });
    if let Some((line, col)) = pos.filter(|(line, _)| *line > 0) {
        location["physicalLocation"]["region"] = json!({ "startLine": line, "startColumn": col });
    }
    location
}

#[cfg(test)]
mod tests {
    use super::{artifact, uri, SRCROOT};

    #[test]
    fn uris_are_relative_and_encoded() {
        let relative = |uri: &str| (uri.to_string(), true);
        assert_eq!(uri("examples/a b.yaml"), relative("examples/a%20b.yaml"));
        assert_eq!(uri("dir\\x.yaml"), relative("dir/x.yaml"));
        let cwd = std::env::current_dir().unwrap();
        let inside = cwd.join("k8s/app.yaml");
        assert_eq!(uri(inside.to_str().unwrap()), relative("k8s/app.yaml"));
        let absolute = ("file:///elsewhere/app.yaml".to_string(), false);
        assert_eq!(uri("/elsewhere/app.yaml"), absolute);
    }

    #[test]
    fn a_file_below_the_working_directory_is_relative_however_named() {
        // This file, by a path through `..` and by its absolute path.
        let cwd = std::env::current_dir().unwrap();
        let name = cwd.file_name().unwrap().to_str().unwrap();
        let roundabout = format!("../{name}/src/sarif.rs");
        assert_eq!(uri(&roundabout), ("src/sarif.rs".to_string(), true));
        let absolute = cwd.join("src/../src/sarif.rs");
        let absolute = uri(absolute.to_str().unwrap());
        assert_eq!(absolute, ("src/sarif.rs".to_string(), true));
        // Above it: no relative URI (GitHub could not place it in the checkout).
        let parent = cwd.parent().unwrap().join("Cargo.toml");
        let (above, relative) = uri(parent.to_str().unwrap());
        assert!(above.starts_with("file:///") && !relative, "{above}");
        assert_eq!(artifact("src/lib.rs")["uriBaseId"], SRCROOT);
        assert_eq!(artifact("<stdin>").get("uriBaseId"), None);
        // Named by a path through `..` (a Kustomize base of an overlay scanned from
        // its own folder): the file's absolute URI, never a relative one that the
        // checkout's root would resolve to another file.
        let real = std::fs::canonicalize(cwd.join("../../Cargo.toml")).unwrap();
        assert_eq!(
            uri("../../Cargo.toml"),
            (format!("file://{}", real.display()), false)
        );
    }
}
