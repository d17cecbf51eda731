//! The pod spec of every kind that carries one, typed with `k8s-openapi`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSecurityContext, PodSpec};
use kubeharden_yaml::{from_node_noting_unknown, DeError, FieldPath, Node, Pos};
use serde::de::DeserializeOwned;

use crate::error::{LoadError, LoadErrorKind};
use crate::object::Object;

/// Kinds that carry a pod spec, with the API groups that define them and where the
/// pod template sits.
pub const WORKLOAD_KINDS: [(&str, &[&str], &str); 10] = [
    ("Pod", &[""], ""),
    ("PodTemplate", &[""], "template"),
    ("ReplicationController", &[""], "spec.template"),
    ("Deployment", &["apps", "extensions"], "spec.template"),
    ("ReplicaSet", &["apps", "extensions"], "spec.template"),
    ("StatefulSet", &["apps"], "spec.template"),
    ("DaemonSet", &["apps", "extensions"], "spec.template"),
    ("Job", &["batch"], "spec.template"),
    ("CronJob", &["batch"], "spec.jobTemplate.spec.template"),
    // Argo Rollouts replaces Deployments: its pods are as privileged as its template.
    ("Rollout", &["argoproj.io"], "spec.template"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContainerKind {
    Container,
    Init,
    Ephemeral,
}

impl ContainerKind {
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Container => "containers",
            ContainerKind::Init => "initContainers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }
}

/// One container of any of the three kinds, with its path in the object.
#[derive(Clone, Debug)]
pub struct ContainerRef<'w> {
    pub kind: ContainerKind,
    pub index: usize,
    pub container: &'w Container,
    pub path: FieldPath,
}

impl ContainerRef<'_> {
    pub fn name(&self) -> &str {
        &self.container.name
    }
}

/// A workload's pod template: the typed spec and where it sits in the object.
#[derive(Debug)]
pub struct Workload<'o> {
    pub object: &'o Object,
    /// `spec`, `spec.template.spec`, `spec.jobTemplate.spec.template.spec`, ...
    pub spec_path: FieldPath,
    /// The pod spec as written, for rules that need its exact keys.
    pub spec_node: Cow<'o, Node>,
    /// The pod's metadata: `metadata` for a Pod, the template's otherwise.
    pub meta_path: FieldPath,
    pub spec: PodSpec,
    /// Ephemeral containers, read as containers: they share every field rules look at.
    pub ephemeral: Vec<Container>,
    pub annotations: BTreeMap<String, String>,
    /// The keys of the pod spec that are no field of it (`securityContex`): kubectl's
    /// strict validation refuses the object, other clients have them dropped. Each
    /// key's path and place.
    pub unknown_fields: Vec<(FieldPath, Pos)>,
}

fn api_group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

fn node_at<'n>(root: &'n Node, path: &FieldPath) -> Option<&'n Node> {
    path.segments()
        .iter()
        .try_fold(root, |node, seg| match seg {
            kubeharden_yaml::Seg::Key(k) => node.get(k),
            kubeharden_yaml::Seg::Index(i) => node.items().get(*i),
        })
}

fn to_load_error(object: &Object, node: &Node, base: &FieldPath, e: &DeError) -> LoadError {
    let mut path = base.to_string();
    let inner = e.path_string();
    if !inner.is_empty() {
        if !inner.starts_with('[') && !path.is_empty() {
            path.push('.');
        }
        path.push_str(&inner);
    }
    let res = &object.resource;
    LoadError::new(
        &object.file,
        e.pos.or(Some(node.pos)),
        LoadErrorKind::field(res, path, e.message.clone()),
    )
}

/// Containers (mappings) without a `name`, or with an empty one: the API server
/// refuses them, and findings could not say which container they are about.
fn nameless_containers(object: &Object, spec: &Node, spec_path: &FieldPath) -> Vec<LoadError> {
    let mut errors = Vec::new();
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        let items = spec.get(list).map(Node::items).unwrap_or_default();
        for (i, item) in items.iter().enumerate() {
            let is_map = matches!(item.value, kubeharden_yaml::Value::Map(_));
            let named = item
                .get("name")
                .and_then(Node::scalar_text)
                .is_some_and(|n| !n.trim().is_empty());
            if is_map && !named {
                let path = spec_path.key(list).index(i).key("name");
                let kind = LoadErrorKind::field(
                    &object.resource,
                    path,
                    "a container needs a name (the API server refuses one without)",
                );
                errors.push(LoadError::new(&object.file, Some(item.pos), kind));
            }
        }
    }
    errors
}

/// At most this many bad fields are dropped from one read before giving up on it.
const MAX_BAD_FIELDS: usize = 32;

/// Reads the field at `path` of `object` as `T`, as `read_lenient` does: each field of
/// the wrong type is an error naming the field and its line, and reads as unset.
/// `None` when the field is absent or cannot be read at all.
pub fn read_field<T: DeserializeOwned>(
    object: &Object,
    path: &str,
    errors: &mut Vec<LoadError>,
) -> Option<T> {
    let path = FieldPath::parse(path);
    let node = node_at(&object.root, &path)?;
    read_lenient(object, node, &path, errors).map(|read| read.value)
}

/// What [`read_lenient`] read.
struct Read<T> {
    value: T,
    /// The node as read, when fields had to be nulled.
    patched: Option<Node>,
    /// Where the values of keys `T` has no field for are.
    unknown: Vec<Pos>,
}

/// Reads `T` from `node`. Each field of the wrong type is reported and read as null
/// (its zero value), and the read goes on, so one bad field does not hide the rest.
fn read_lenient<T: DeserializeOwned>(
    object: &Object,
    node: &Node,
    base: &FieldPath,
    errors: &mut Vec<LoadError>,
) -> Option<Read<T>> {
    let mut patched: Option<Node> = None;
    for _ in 0..MAX_BAD_FIELDS {
        let current = patched.as_ref().unwrap_or(node);
        let (read, unknown) = from_node_noting_unknown::<T>(current);
        let err = match read {
            Ok(value) => {
                return Some(Read {
                    value,
                    patched,
                    unknown,
                })
            }
            Err(err) => err,
        };
        errors.push(to_load_error(object, node, base, &err));
        let bad = FieldPath::from_segments(err.path.iter().map(String::as_str));
        let mut copy = current.clone();
        // A bad field that is already null, or the whole node, cannot be fixed by nulling.
        let already_null =
            bad.segments().is_empty() || node_at(&copy, &bad).is_some_and(Node::is_null);
        if already_null || !copy.nullify(&bad) {
            return None;
        }
        patched = Some(copy);
    }
    None
}

/// The keys under `node` (at `base`) whose values are at `unknown`: their paths, and
/// where the keys are.
fn unknown_keys(node: &Node, base: &FieldPath, unknown: &[Pos]) -> Vec<(FieldPath, Pos)> {
    let mut found = Vec::new();
    if !unknown.is_empty() {
        find_keys(node, base, unknown, &mut found);
    }
    found
}

fn find_keys(node: &Node, path: &FieldPath, unknown: &[Pos], found: &mut Vec<(FieldPath, Pos)>) {
    for entry in node.entries() {
        let key = entry.key.scalar_text().unwrap_or("?");
        if unknown.contains(&entry.value.pos) {
            found.push((path.key(key), entry.key.pos));
        } else {
            find_keys(&entry.value, &path.key(key), unknown, found);
        }
    }
    for (i, item) in node.items().iter().enumerate() {
        find_keys(item, &path.index(i), unknown, found);
    }
}

impl<'o> Workload<'o> {
    /// Whether this is a mirror pod: the API server's copy of a static pod that a
    /// kubelet runs from a file. The ServiceAccount admission plugin gives such a pod
    /// no service account and no token, and refuses one that names an account.
    pub fn is_mirror_pod(&self) -> bool {
        self.object.resource.kind == "Pod"
            && self.annotations.contains_key("kubernetes.io/config.mirror")
    }

    /// The workload of `object`, if its kind carries a pod spec, with the errors met
    /// reading it: a field of the wrong type is reported (naming the field and its
    /// line) and read as unset, so the rest of the workload is still checked.
    pub fn from_object(object: &'o Object) -> Option<(Workload<'o>, Vec<LoadError>)> {
        let (workload, errors) = Self::read_object(object);
        workload.map(|w| (w, errors))
    }

    /// As [`Workload::from_object`], but the errors are kept when the pod spec cannot
    /// be read at all (`spec: x`): such an object is reported, never passed.
    pub fn read_object(object: &'o Object) -> (Option<Workload<'o>>, Vec<LoadError>) {
        let Some((spec_node, spec_path, meta_path)) = Self::spec_of(object) else {
            return (None, Vec::from_iter(Self::unreadable_template(object)));
        };
        let mut errors = Vec::new();
        let workload = Self::read(object, spec_node, spec_path, meta_path, &mut errors);
        (workload, errors)
    }

    /// Why a workload kind's pod spec could not be reached: a part of its path that is
    /// there but no mapping (`spec.template: x`). A part that is missing is no error
    /// here (a Kustomize patch leaves most out).
    fn unreadable_template(object: &Object) -> Option<LoadError> {
        let res = &object.resource;
        let (_, _, template) = WORKLOAD_KINDS.iter().find(|(kind, groups, _)| {
            *kind == res.kind && groups.contains(&api_group(&res.api_version))
        })?;
        let path = match res.kind.as_str() {
            "Pod" => FieldPath::parse("spec"),
            _ => FieldPath::parse(template).key("spec"),
        };
        let mut node = &object.root;
        let mut at = FieldPath::parse("");
        for seg in path.segments() {
            let kubeharden_yaml::Seg::Key(key) = seg else {
                return None;
            };
            if !matches!(node.value, kubeharden_yaml::Value::Map(_)) {
                let problem = "expected a mapping (the pod template is in it)";
                let kind = LoadErrorKind::field(res, &at, problem);
                return Some(LoadError::new(&object.file, Some(node.pos), kind));
            }
            node = node.get(key)?;
            at = at.key(key);
        }
        None
    }

    /// The pod spec of `object`, its path and its metadata's path, if its kind has one.
    fn spec_of(object: &'o Object) -> Option<(&'o Node, FieldPath, FieldPath)> {
        let res = &object.resource;
        let (_, _, template) = WORKLOAD_KINDS.iter().find(|(kind, groups, _)| {
            *kind == res.kind && groups.contains(&api_group(&res.api_version))
        })?;
        let template = FieldPath::parse(template);
        let (spec_path, meta_path) = if res.kind == "Pod" {
            (FieldPath::parse("spec"), FieldPath::parse("metadata"))
        } else {
            (template.key("spec"), template.key("metadata"))
        };
        let spec_node = node_at(&object.root, &spec_path)?;
        Some((spec_node, spec_path, meta_path))
    }

    fn read(
        object: &'o Object,
        spec_node: &'o Node,
        spec_path: FieldPath,
        meta_path: FieldPath,
        errors: &mut Vec<LoadError>,
    ) -> Option<Workload<'o>> {
        errors.extend(crate::quantity::check_container_resources(
            object, spec_node, &spec_path,
        ));
        let read = read_lenient::<PodSpec>(object, spec_node, &spec_path, errors)?;
        let unknown_fields = unknown_keys(spec_node, &spec_path, &read.unknown);
        let (mut spec, patched) = (read.value, read.patched);
        spec.ephemeral_containers = None;
        // The deprecated `serviceAccount` names the account when `serviceAccountName`
        // does not, as the API server reads it.
        if spec
            .service_account_name
            .as_deref()
            .is_none_or(str::is_empty)
        {
            spec.service_account_name = spec.service_account.clone();
        }
        let spec_node: Cow<'o, Node> = patched.map_or(Cow::Borrowed(spec_node), Cow::Owned);
        errors.extend(nameless_containers(object, &spec_node, &spec_path));
        let ephemeral = match spec_node.get("ephemeralContainers") {
            Some(node) => read_lenient(object, node, &spec_path.key("ephemeralContainers"), errors)
                .map(|read| read.value)
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let annotations_path = meta_path.key("annotations");
        let annotations = match node_at(&object.root, &annotations_path) {
            Some(node) => read_lenient(object, node, &annotations_path, errors)
                .map(|read| read.value)
                .unwrap_or_default(),
            None => BTreeMap::new(),
        };
        Some(Workload {
            object,
            spec_path,
            spec_node,
            meta_path,
            spec,
            ephemeral,
            annotations,
            unknown_fields,
        })
    }

    /// Every container: regular, init and ephemeral, in that order.
    pub fn containers(&self) -> impl Iterator<Item = ContainerRef<'_>> {
        let groups: [(ContainerKind, &[Container]); 3] = [
            (ContainerKind::Container, &self.spec.containers),
            (
                ContainerKind::Init,
                self.spec.init_containers.as_deref().unwrap_or_default(),
            ),
            (ContainerKind::Ephemeral, &self.ephemeral),
        ];
        groups.into_iter().flat_map(move |(kind, list)| {
            list.iter()
                .enumerate()
                .map(move |(index, container)| ContainerRef {
                    kind,
                    index,
                    container,
                    path: self.spec_path.key(kind.field()).index(index),
                })
        })
    }

    /// The names of the pod's hostPath volumes.
    pub fn host_path_volumes(&self) -> std::collections::HashSet<&str> {
        self.spec
            .volumes
            .iter()
            .flatten()
            .filter(|v| v.host_path.is_some())
            .map(|v| v.name.as_str())
            .collect()
    }

    pub fn pod_security_context(&self) -> Option<&PodSecurityContext> {
        self.spec.security_context.as_ref()
    }

    /// `spec.os.name: windows`: Linux-only restricted checks do not apply.
    pub fn is_windows(&self) -> bool {
        self.spec.os.as_ref().is_some_and(|os| os.name == "windows")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::objects_from_document;
    use kubeharden_yaml::{parse_chunk, split_documents, Limits};
    use std::sync::Arc;

    fn object(text: &str) -> Object {
        let file: Arc<str> = "t.yaml".into();
        let doc = parse_chunk(split_documents(text)[0], &Limits::default())
            .remove(0)
            .unwrap();
        objects_from_document(&file, doc).objects.remove(0)
    }

    #[test]
    fn cronjob_pod_spec_and_all_container_kinds() {
        let obj = object(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        metadata:\n          annotations: {a: b}\n        spec:\n          initContainers: [{name: i, image: x}]\n          containers: [{name: c, image: x}]\n          ephemeralContainers: [{name: e, image: x, targetContainerName: c}]\n",
        );
        let (w, errors) = Workload::from_object(&obj).unwrap();
        assert!(errors.is_empty());
        let paths: Vec<_> = w.containers().map(|c| c.path.to_string()).collect();
        assert_eq!(
            paths,
            [
                "spec.jobTemplate.spec.template.spec.containers[0]",
                "spec.jobTemplate.spec.template.spec.initContainers[0]",
                "spec.jobTemplate.spec.template.spec.ephemeralContainers[0]"
            ]
        );
        assert_eq!(w.annotations["a"], "b");
    }

    #[test]
    fn wrong_type_is_an_error_with_field_and_line() {
        let obj = object("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    securityContext:\n      privileged: \"yes\"\n");
        let (w, errors) = Workload::from_object(&obj).unwrap();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pos.unwrap().line, 8);
        assert!(
            errors[0]
                .message()
                .contains("spec.containers[0].securityContext.privileged"),
            "{}",
            errors[0]
        );
        // The bad field reads as unset; the rest of the pod is still there.
        assert_eq!(w.spec.containers[0].name, "c");
        assert_eq!(
            w.spec.containers[0]
                .security_context
                .as_ref()
                .unwrap()
                .privileged,
            None
        );
    }

    /// The amounts the API server's validation refuses (checked on the test bed with
    /// `kubectl apply --dry-run=server`), each an error at its line; the amounts it
    /// admits (however large), none.
    #[test]
    fn resource_amounts_the_api_server_refuses_are_errors() {
        let pod = |resources: &str| {
            object(&format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: c\n    resources:\n{resources}"))
        };
        let refused = [
            (
                "      requests: {cpu: '2'}\n      limits: {cpu: '1'}\n",
                "requests.cpu: request 2 is above the limit 1",
            ),
            (
                "      requests: {memory: 2Gi}\n      limits: {memory: 1024Mi}\n",
                "requests.memory: request 2Gi is above the limit 1024Mi",
            ),
            (
                "      requests: {memory: -1Gi}\n",
                "requests.memory: -1Gi is below zero",
            ),
            ("      limits: {cpu: -1}\n", "limits.cpu: -1 is below zero"),
            (
                "      limits: {nvidia.com/gpu: 0.5}\n",
                "limits[\"nvidia.com/gpu\"]: 0.5 is not a whole number",
            ),
            (
                "      requests: {example.com/foo: '2'}\n      limits: {example.com/foo: '1'}\n",
                "request 2 differs from the limit 1",
            ),
            (
                "      limits: {memory: 512MB}\n",
                "limits.memory: not a quantity",
            ),
        ];
        for (resources, expected) in refused {
            let (_, errors) = Workload::from_object(&pod(resources)).unwrap();
            assert_eq!(errors.len(), 1, "{resources}: {errors:?}");
            assert!(errors[0].message().contains(expected), "{}", errors[0]);
            assert_eq!(errors[0].pos.unwrap().line, 8, "{resources}");
        }
        for admitted in [
            "      requests: {cpu: 500m, memory: 1Gi}\n      limits: {cpu: '1', memory: 1Gi}\n",
            "      requests: {cpu: 1000m}\n      limits: {cpu: 1}\n",
            "      limits: {memory: 1e400, cpu: 99999999999999999999}\n",
            "      limits: {nvidia.com/gpu: 2}\n      requests: {nvidia.com/gpu: 2}\n",
            "      requests: {cpu: 2}\n",
        ] {
            let (_, errors) = Workload::from_object(&pod(admitted)).unwrap();
            assert!(errors.is_empty(), "{admitted}: {errors:?}");
        }
    }

    #[test]
    fn custom_kinds_named_like_workloads_are_not_workloads() {
        let obj =
            object("apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n");
        assert!(Workload::from_object(&obj).is_none());
    }
}
