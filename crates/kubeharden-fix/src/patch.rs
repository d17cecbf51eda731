//! The plan as Kustomize strategic merge patches: one file per object, the new
//! NetworkPolicies as resources, and a `kustomization.yaml` that lists them.

use std::collections::BTreeSet;

use kubeharden_yaml::{FieldPath, Seg};
use serde_json::{json, Map, Value};

use crate::plan::{ObjectFix, Plan};
use crate::render::yaml_document;
use crate::want::{Field, Val, Want};

/// A file to write into the output folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchFile {
    pub name: String,
    pub text: String,
}

const HEADER: &str =
    "# Written by kubeharden fix: a strategic merge patch that hardens this object.\n";

/// The patch files of `plan` and their `kustomization.yaml`, whose `resources` are
/// `resources` (the scanned sources, relative to the output folder) and the new
/// policies.
pub fn patches(plan: &Plan, resources: &[String]) -> Vec<PatchFile> {
    let mut files = Vec::new();
    let mut names = BTreeSet::new();
    let mut patch_names = Vec::new();
    for fix in &plan.objects {
        let r = &fix.resource;
        let stem = file_stem(&[&r.kind, r.namespace.as_deref().unwrap_or(""), &r.name]);
        let name = unique(&mut names, &stem);
        files.push(PatchFile {
            name: name.clone(),
            text: format!("{HEADER}{}", yaml_document(&patch_value(fix))),
        });
        patch_names.push(name);
    }
    let mut policy_names = Vec::new();
    for policy in &plan.policies {
        let stem = file_stem(&["networkpolicy", &policy.namespace, crate::NewPolicy::NAME]);
        let name = unique(&mut names, &stem);
        files.push(PatchFile {
            name: name.clone(),
            text: format!(
                "# Written by kubeharden fix: deny all traffic no other policy allows.\n{}",
                yaml_document(&policy.object())
            ),
        });
        policy_names.push(name);
    }
    let all_resources: Vec<Value> = resources
        .iter()
        .cloned()
        .chain(policy_names)
        .map(Value::String)
        .collect();
    let patches: Vec<Value> = patch_names
        .into_iter()
        .map(|p| json!({"path": p}))
        .collect();
    let mut kustomization = Map::new();
    kustomization.insert(
        "apiVersion".into(),
        json!("kustomize.config.k8s.io/v1beta1"),
    );
    kustomization.insert("kind".into(), json!("Kustomization"));
    kustomization.insert("resources".into(), Value::Array(all_resources));
    if !patches.is_empty() {
        kustomization.insert("patches".into(), Value::Array(patches));
    }
    files.push(PatchFile {
        name: "kustomization.yaml".into(),
        text: format!(
            "# Written by kubeharden fix. Build with:\n#   kubectl kustomize --load-restrictor LoadRestrictionsNone DIR\n{}",
            yaml_document(&Value::Object(kustomization))
        ),
    });
    files
}

fn file_stem(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn unique(taken: &mut BTreeSet<String>, stem: &str) -> String {
    let mut name = format!("{stem}.yaml");
    let mut n = 2;
    while !taken.insert(name.clone()) {
        name = format!("{stem}-{n}.yaml");
        n += 1;
    }
    name
}

/// The strategic merge patch of one object: its identity and the wanted fields, with
/// containers as list items matched by name.
fn patch_value(fix: &ObjectFix) -> Value {
    let r = &fix.resource;
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(r.name));
    if let (true, Some(ns)) = (fix.namespace_in_source, &r.namespace) {
        metadata.insert("namespace".into(), json!(ns));
    }
    let mut doc = Map::new();
    doc.insert("apiVersion".into(), json!(r.api_version));
    doc.insert("kind".into(), json!(r.kind));
    doc.insert("metadata".into(), Value::Object(metadata));
    if let Value::Object(body) = want_value(&fix.want, &FieldPath::root(), fix) {
        doc.extend(body);
    }
    Value::Object(doc)
}

fn want_value(want: &Want, at: &FieldPath, fix: &ObjectFix) -> Value {
    let is_list = want.fields.iter().all(|(s, _)| matches!(s, Seg::Index(_)));
    if is_list && !want.fields.is_empty() {
        let items = want.fields.iter().map(|(seg, field)| {
            let Seg::Index(i) = seg else {
                unreachable!("checked above")
            };
            let path = at.index(*i);
            let mut item = Map::new();
            let name = fix
                .container_names
                .get(&path.to_string())
                .cloned()
                .unwrap_or_default();
            item.insert("name".into(), json!(name));
            if let Value::Object(inner) = field_value(field, &path, fix) {
                item.extend(inner);
            }
            Value::Object(item)
        });
        return Value::Array(items.collect());
    }
    let mut map = Map::new();
    for (seg, field) in &want.fields {
        if let Seg::Key(k) = seg {
            map.insert(k.to_string(), field_value(field, &at.key(k), fix));
        }
    }
    Value::Object(map)
}

fn field_value(field: &Field, at: &FieldPath, fix: &ObjectFix) -> Value {
    match field {
        Field::Leaf(Val::Bool(b)) => json!(b),
        Field::Leaf(Val::Int(i)) => json!(i),
        Field::Leaf(Val::Str(s)) => json!(s),
        Field::Leaf(Val::List(l)) => json!(l),
        Field::Map(inner) => want_value(inner, at, fix),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_patch_names_containers_by_their_merge_key() {
        let mut want = Want::default();
        let c = FieldPath::parse("spec.template.spec.containers[1]");
        want.set(&c.join("securityContext.runAsNonRoot"), Val::Bool(true));
        want.set(
            &FieldPath::parse("spec.template.spec.automountServiceAccountToken"),
            Val::Bool(false),
        );
        let fix = ObjectFix {
            file: "a.yaml".into(),
            resource: Arc::new(kubeharden_load::Resource {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                name: "web".into(),
            }),
            pos: Default::default(),
            namespace_in_source: true,
            want,
            container_names: [(c.to_string(), "side".to_string())].into(),
        };
        let plan = Plan {
            objects: vec![fix],
            ..Plan::default()
        };
        let files = patches(&plan, &["../app.yaml".into()]);
        assert_eq!(files[0].name, "deployment-shop-web.yaml");
        assert_eq!(
            files[0].text,
            format!("{HEADER}apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      automountServiceAccountToken: false\n      containers:\n      - name: side\n        securityContext:\n          runAsNonRoot: true\n")
        );
        assert!(
            files[1].text.ends_with(
                "patches:\n- path: deployment-shop-web.yaml\nresources:\n- \"../app.yaml\"\n"
            ),
            "{}",
            files[1].text
        );
    }
}
