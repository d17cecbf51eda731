//! `kubeharden fix`: from the rule catalog's findings to hardened manifests.
//!
//! - [`catalog`] is the one table of fixable rules and their changes.
//! - [`plan()`] judges each finding of a scan: the fields its fix sets (a [`Want`] per
//!   object), a default-deny NetworkPolicy per namespace, or why it is refused.
//! - [`edit_sources`] writes those changes into the YAML texts themselves, keeping
//!   comments, key order and formatting ([`edit`]); [`patches`] writes them as
//!   Kustomize strategic merge patches instead. Both come from the same wants.
//! - [`verify`] scans the edited texts again with the same rules and proves each
//!   fixed finding gone, with no new finding on an edited object.

#![forbid(unsafe_code)]

pub mod catalog;
pub mod edit;
mod patch;
mod plan;
pub mod render;
mod want;
mod writes;

use std::collections::BTreeSet;
use std::sync::Arc;

use kubeharden_engine::{scan_sources, ScanOptions};
use kubeharden_findings::Finding;
use kubeharden_load::{is_dockerfile, load_text, Object, Source};
use kubeharden_rules::RuleSet;

pub use catalog::{fixable_rule, FixKind, Fixable, FIXABLE};
pub use patch::{patches, PatchFile};
pub use plan::{
    plan, quantity, FixOptions, Judged, NewPolicy, ObjectFix, Plan, ResourceValues, Verdict,
};
pub use want::{Field, Val, Want};

/// The objects of `sources`, with their trees, named and namespaced as the scan
/// names them (`default_namespace` for those that name none).
pub fn load_objects(sources: &[Source], options: &ScanOptions) -> Vec<Object> {
    let mut objects = Vec::new();
    for source in sources {
        if is_dockerfile(std::path::Path::new(&*source.name)) {
            continue;
        }
        let mut loaded = load_text(&source.name, &source.text, &options.limits).objects;
        for o in &mut loaded {
            o.default_namespace(&options.default_namespace);
        }
        objects.extend(loaded);
    }
    objects
}

/// One source file before and after its edits.
#[derive(Clone, Debug)]
pub struct Edited {
    pub name: Arc<str>,
    pub before: String,
    pub after: String,
}

/// `after` with the line ends of `before`: the lines an edit adds end in `\n`, and a
/// file written with `\r\n` keeps `\r\n` throughout rather than a mix.
fn same_line_ends(before: &str, after: String) -> String {
    if !before.contains("\r\n") {
        return after;
    }
    let mut out = String::with_capacity(after.len() + after.len() / 40);
    let mut previous = '\0';
    for ch in after.chars() {
        if ch == '\n' && previous != '\r' {
            out.push('\r');
        }
        out.push(ch);
        previous = ch;
    }
    out
}

/// A file whose objects could not be edited, and why.
#[derive(Clone, Debug)]
pub struct EditFailure {
    pub file: Arc<str>,
    pub reason: String,
}

/// The texts of `sources` with the plan's changes made in place: each object's
/// fields set, and each new NetworkPolicy appended to the file of its Namespace.
/// A file whose objects cannot be edited safely is left out and reported.
pub fn edit_sources(
    sources: &[Source],
    plan: &Plan,
    options: &ScanOptions,
) -> (Vec<Edited>, Vec<EditFailure>) {
    let mut edited = Vec::new();
    let mut failures = Vec::new();
    for source in sources {
        let fixes: Vec<&ObjectFix> = plan
            .objects
            .iter()
            .filter(|o| o.file == source.name)
            .collect();
        let policies: Vec<&NewPolicy> = plan
            .policies
            .iter()
            .filter(|p| p.file == source.name)
            .collect();
        if fixes.is_empty() && policies.is_empty() {
            continue;
        }
        match edit_one(source, &fixes, &policies, options) {
            Ok(after) => edited.push(Edited {
                name: source.name.clone(),
                before: source.text.clone(),
                after: same_line_ends(&source.text, after),
            }),
            Err(reason) => failures.push(EditFailure {
                file: source.name.clone(),
                reason,
            }),
        }
    }
    (edited, failures)
}

fn edit_one(
    source: &Source,
    fixes: &[&ObjectFix],
    policies: &[&NewPolicy],
    options: &ScanOptions,
) -> Result<String, String> {
    let objects = load_objects(std::slice::from_ref(source), options);
    let json = source.name.ends_with(".json");
    let text = edit::Source::new(&source.text, json);
    let mut edits = Vec::new();
    for fix in fixes {
        let object = objects
            .iter()
            .find(|o| o.root.pos == fix.pos && o.resource == fix.resource)
            .ok_or_else(|| format!("{} is no longer where it was", fix.resource))?;
        let found = text.edits(&object.root, &fix.want).map_err(|e| {
            format!(
                "{}:{}: {} ({})",
                source.name, e.line, e.reason, fix.resource
            )
        })?;
        edits.extend(found);
    }
    let mut after = edit::apply(&source.text, edits);
    for policy in policies {
        if json {
            return Err(format!(
                "{}: a NetworkPolicy cannot be appended to a JSON file",
                source.name
            ));
        }
        if !after.ends_with('\n') && !after.is_empty() {
            after.push('\n');
        }
        after
            .push_str("---\n# Added by kubeharden fix: deny all traffic no other policy allows.\n");
        after.push_str(&render::yaml_document(&policy.object()));
    }
    // The edited text must still hold the same objects, parsed without error.
    let check = Source {
        name: source.name.clone(),
        text: after.clone(),
    };
    let reloaded = load_text(&check.name, &check.text, &options.limits);
    if let Some(e) = reloaded.errors.first() {
        return Err(format!("the edited text does not parse: {e}"));
    }
    if reloaded.objects.len() != objects.len() + policies.len() {
        return Err(format!(
            "{}: the edited text holds {} objects instead of {}",
            source.name,
            reloaded.objects.len(),
            objects.len() + policies.len()
        ));
    }
    // A mapping shared through a YAML anchor is reached once per alias: two fixes
    // would each add their keys to it (kustomize refuses the result, kubectl keeps the
    // last), and one fix would change every object that shares it.
    // (Lines move with the edits: a file that set keys twice before is compared by count.)
    let before = duplicate_keys(&source.text, options);
    let now = duplicate_keys(&after, options);
    let added = now.len() > before.len();
    let new_key = |d: &&kubeharden_yaml::DuplicateKey| !before.iter().any(|b| b.key == d.key);
    if let Some(twice) = added
        .then(|| now.iter().find(new_key).or(now.first()))
        .flatten()
    {
        return Err(format!(
            "{}: the fixes would set {:?} twice in one mapping, which a YAML anchor (&) shares between objects or containers; edit it by hand, or use the patches (without --in-place)",
            source.name, twice.key
        ));
    }
    Ok(after)
}

/// The keys of `text` set twice in one mapping: their key and first line.
fn duplicate_keys(text: &str, options: &ScanOptions) -> Vec<kubeharden_yaml::DuplicateKey> {
    kubeharden_yaml::split_documents(text)
        .into_iter()
        .flat_map(|chunk| kubeharden_yaml::parse_chunk(chunk, &options.limits))
        .flatten()
        .flat_map(|doc| doc.duplicate_keys)
        .collect()
}

/// A finding's identity across a re-scan: rule, file, object, container and field
/// (one object may be defined in several files, each judged and fixed for itself).
type Key = (
    &'static str,
    Arc<str>,
    Arc<kubeharden_load::Resource>,
    Option<String>,
    String,
);

fn key(f: &Finding) -> Key {
    (
        f.rule_id,
        f.location.file.clone(),
        f.resource.clone(),
        f.container.clone(),
        f.path.clone(),
    )
}

/// What the re-scan of the edited texts shows.
#[derive(Clone, Debug, Default)]
pub struct Verification {
    /// Findings a fix was planned for that are still there: a defect, never expected.
    pub not_cleared: Vec<Finding>,
    /// Findings on edited objects that the original scan did not have.
    pub introduced: Vec<Finding>,
    /// Findings of the original scan still there after the fixes.
    pub remaining: Vec<Finding>,
    /// Errors of the re-scan (an edited file that no longer loads).
    pub errors: Vec<String>,
}

/// Scans `sources` with the edits of `edited` applied, as one cluster, and compares
/// with the plan. `accepted` are the original findings that exceptions or a
/// baseline suppressed: not fixed, and neither remaining nor new. `known_errors` are
/// the first scan's errors, which the re-scan finds again.
pub fn verify(
    sources: &[Source],
    edited: &[Edited],
    plan: &Plan,
    accepted: &[Finding],
    known_errors: &BTreeSet<String>,
    rules: &RuleSet,
    options: &ScanOptions,
) -> Verification {
    let texts: Vec<Source> = sources
        .iter()
        .map(|s| Source {
            name: s.name.clone(),
            text: edited
                .iter()
                .find(|e| e.name == s.name)
                .map_or_else(|| s.text.clone(), |e| e.after.clone()),
        })
        .collect();
    let report = scan_sources(&texts, rules, options);
    let before: BTreeSet<_> = plan.judged.iter().map(|j| key(&j.finding)).collect();
    let accepted: BTreeSet<_> = accepted.iter().map(key).collect();
    let fixed: BTreeSet<_> = plan
        .judged
        .iter()
        .filter(|j| matches!(j.verdict, Verdict::Fixed(_)))
        .map(|j| key(&j.finding))
        .collect();
    let touched: BTreeSet<_> = plan
        .objects
        .iter()
        .map(|o| (o.file.clone(), o.resource.clone()))
        .collect();
    // Errors the first scan had too are not the edits' doing.
    let mut out = Verification {
        errors: report
            .errors
            .iter()
            .map(ToString::to_string)
            .filter(|e| {
                !known_errors
                    .iter()
                    .any(|k| without_place(k) == without_place(e))
            })
            .collect(),
        ..Verification::default()
    };
    for f in report.findings {
        let k = key(&f);
        if accepted.contains(&k) {
            continue;
        }
        if fixed.contains(&k) {
            out.not_cleared.push(f);
        } else if before.contains(&k) {
            out.remaining.push(f);
        } else if touched.contains(&(f.location.file.clone(), f.resource.clone())) {
            out.introduced.push(f);
        }
    }
    out
}

/// An error's text without its line and column (`file:12:3: message` ->
/// `file: message`): the edits move lines.
fn without_place(error: &str) -> (&str, &str) {
    let (place, message) = error.split_once(": ").unwrap_or(("", error));
    let file = place
        .rsplitn(3, ':')
        .last()
        .filter(|_| place.matches(':').count() >= 2)
        .unwrap_or(place);
    (file, message)
}

/// A unified diff of one edited file, for `--dry-run`. Its context lines quote the
/// file, so the credentials the file holds (an env value, a Secret's data) are
/// masked: a secret's value is never printed.
pub fn diff(edited: &Edited) -> String {
    let text = similar::TextDiff::from_lines(&edited.before, &edited.after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{}", edited.name), &format!("b/{}", edited.name))
        .to_string();
    let objects = kubeharden_load::load_text(
        &edited.name,
        &edited.before,
        &kubeharden_yaml::Limits::default(),
    );
    let mut secrets: Vec<String> = objects
        .objects
        .iter()
        .flat_map(kubeharden_rules::credential_values)
        .collect();
    // The longest first: a secret that contains another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.iter().fold(text, |text, secret| {
        text.replace(secret.as_str(), "<redacted>")
    })
}

#[cfg(test)]
mod line_end_tests {
    use super::same_line_ends;

    #[test]
    fn a_crlf_file_keeps_crlf_on_added_lines() {
        let before = "a: 1\r\nb: 2\r\n";
        assert_eq!(
            same_line_ends(before, "a: 1\r\nc: 3\nb: 2\r\n".into()),
            "a: 1\r\nc: 3\r\nb: 2\r\n"
        );
        assert_eq!(
            same_line_ends("a: 1\n", "a: 1\nc: 3\n".into()),
            "a: 1\nc: 3\n"
        );
    }
}

#[cfg(test)]
mod tests {
    /// The diff's context lines quote the file: its credentials are masked, the
    /// edit and the harmless lines are shown.
    #[test]
    fn a_dry_run_diff_prints_no_credential() {
        let token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
        let before = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: web:1\n        securityContext:\n          privileged: true\n        env:\n        - name: API_TOKEN\n          value: {token}\n        - name: LOG_LEVEL\n          value: debug\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2-prod-xyz\n"
        );
        let after = before.replace("privileged: true", "privileged: false");
        let edited = super::Edited {
            name: "app.yaml".into(),
            before,
            after,
        };
        let diff = super::diff(&edited);
        assert!(!diff.contains(token), "{diff}");
        assert!(diff.contains("value: <redacted>"), "{diff}");
        assert!(diff.contains("+          privileged: false"), "{diff}");
        assert!(diff.contains("image: web:1"), "{diff}");
        // Out of the diff's context here, and masked wherever it would show.
        let whole = super::diff(&super::Edited {
            name: "s.yaml".into(),
            before: edited.before.replace("debug", "info"),
            after: edited.before.replace("debug", "info").replace(
                "password: hunter2-prod-xyz\n",
                "password: hunter2-prod-xyz\n# x\n",
            ),
        });
        assert!(!whole.contains("hunter2-prod-xyz"), "{whole}");
    }

    #[test]
    fn errors_compare_without_their_place() {
        assert_eq!(
            super::without_place("a/b.yaml:45:13: Service s: bad port"),
            ("a/b.yaml", "Service s: bad port")
        );
        assert_eq!(
            super::without_place("a/b.yaml: unreadable"),
            ("a/b.yaml", "unreadable")
        );
    }
}
