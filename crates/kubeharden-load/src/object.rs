//! Kubernetes objects out of YAML documents.

use std::sync::Arc;

use kubeharden_yaml::{Document, Node, Value};
use serde::Serialize;

use crate::error::{LoadError, LoadErrorKind};

/// Which object a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Resource {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

/// `Deployment shop/web`; an object without a name (one that only has
/// `generateName`, or an audit event's collection) is said to be so, rather than
/// shown as `Pod shop/`.
impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.name.is_empty() {
            true => "(no name)",
            false => &self.name,
        };
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, name),
            // A node's components are named by their kind (`kubelet kubelet`): once.
            None if self.kind == self.name => write!(f, "{}", self.kind),
            None => write!(f, "{} {}", self.kind, name),
        }
    }
}

/// One Kubernetes object of any kind, built-in or custom, with its source tree.
#[derive(Clone, Debug)]
pub struct Object {
    pub file: Arc<str>,
    /// The chart template it was rendered from, from Helm's `# Source:` comment.
    pub helm_source: Option<Arc<str>>,
    pub resource: Arc<Resource>,
    pub root: Node,
    /// The namespace in `resource` is the scan's default, not the manifest's own
    /// (`Object::default_namespace`).
    pub namespace_defaulted: bool,
}

/// What one YAML document held.
#[derive(Debug, Default)]
pub struct DocumentObjects {
    pub objects: Vec<Object>,
    /// Documents (or List items) that are not Kubernetes objects: no apiVersion or kind.
    pub skipped: usize,
    pub errors: Vec<LoadError>,
}

/// Turns a document into objects: itself, or the `items` of a `List`/`*List` kind.
pub fn objects_from_document(file: &Arc<str>, doc: Document) -> DocumentObjects {
    let mut out = DocumentObjects::default();
    let helm_source: Option<Arc<str>> = doc.helm_source.map(Into::into);
    let is_list = doc
        .root
        .get("kind")
        .and_then(Node::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && matches!(doc.root.get("items").map(|n| &n.value), Some(Value::Seq(_)));
    if is_list {
        for item in take_items(doc.root) {
            add_object(file, &helm_source, item, &mut out);
        }
    } else {
        add_object(file, &helm_source, doc.root, &mut out);
    }
    out
}

/// Moves the items out of a list, so the tree is not copied.
fn take_items(list: Node) -> Vec<Node> {
    let Value::Map(entries) = list.value else {
        return Vec::new();
    };
    entries
        .into_iter()
        .rev()
        .find(|e| e.key.scalar().is_some_and(|s| &*s.text == "items"))
        .and_then(|e| match e.value.value {
            Value::Seq(items) => Some(items),
            _ => None,
        })
        .unwrap_or_default()
}

fn add_object(
    file: &Arc<str>,
    helm_source: &Option<Arc<str>>,
    root: Node,
    out: &mut DocumentObjects,
) {
    let (Some(api_version), Some(kind)) = (root.get("apiVersion"), root.get("kind")) else {
        out.skipped += 1;
        return;
    };
    let (Some(api_version), Some(kind)) = (api_version.as_str(), kind.as_str()) else {
        out.errors.push(LoadError::new(
            file,
            Some(root.pos),
            LoadErrorKind::KindNotString,
        ));
        return;
    };
    if let Some(pos) = mapping_key(&root) {
        // `name: {{ .Values.name }}` reads as YAML: a flow mapping whose key is a
        // mapping. No Kubernetes object has such a key; judging it would pass a
        // template as a clean object.
        out.errors.push(LoadError::new(
            file,
            Some(pos),
            "a mapping used as a key, as an unrendered template's `{{ ... }}` reads: render it first (helm template, or scan the chart's folder); not scanned",
        ));
        return;
    }
    let meta = root.get("metadata");
    let text = |key: &str| {
        meta.and_then(|m| m.get(key))
            .and_then(Node::scalar_text)
            .map(str::to_string)
    };
    let name = text("name")
        .or_else(|| text("generateName"))
        .unwrap_or_default();
    let resource = Resource {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        namespace: text("namespace"),
        name,
    };
    // Only a name written empty (`name: ""`, or a template's value that rendered to
    // nothing): a document with no name at all is as often a configuration file
    // (an audit Policy, a KubeletConfiguration, a kubeconfig) that no API server holds.
    let name_written = root.get("metadata").and_then(|m| m.get("name")).is_some();
    if resource.name.is_empty() && name_written {
        out.errors.push(nameless(file, &root, &resource));
    }
    out.objects.push(Object {
        file: file.clone(),
        helm_source: helm_source.clone(),
        resource: Arc::new(resource),
        root,
        namespace_defaulted: false,
    });
}

/// The error of an object without a name (nor `generateName`): the API server refuses
/// it, so it is no object a cluster could hold, whatever its findings say. Placed at
/// the empty name where there is one, so a chart's is mapped to the value that left it
/// empty.
fn nameless(file: &Arc<str>, root: &Node, resource: &Resource) -> LoadError {
    let meta = root.get("metadata");
    let pos = meta
        .and_then(|m| m.get("name"))
        .or(meta)
        .map_or(root.pos, |n| n.pos);
    LoadError::new(
        file,
        Some(pos),
        LoadErrorKind::field(
            resource,
            "metadata.name",
            "empty: the API server refuses an object without a name (or metadata.generateName)",
        ),
    )
}

/// Where a mapping key is itself a mapping or a list, if anywhere.
fn mapping_key(node: &Node) -> Option<kubeharden_yaml::Pos> {
    match &node.value {
        Value::Map(entries) => entries.iter().find_map(|e| match e.key.value {
            Value::Scalar(_) => mapping_key(&e.value),
            _ => Some(e.key.pos),
        }),
        Value::Seq(items) => items.iter().find_map(mapping_key),
        Value::Scalar(_) => None,
    }
}

/// Every object of a whole YAML or JSON text, in order (one thread; the scan
/// engine parses documents in parallel instead).
pub fn load_text(file: &Arc<str>, text: &str, limits: &kubeharden_yaml::Limits) -> DocumentObjects {
    let mut all = DocumentObjects::default();
    for chunk in kubeharden_yaml::split_documents(text) {
        for doc in kubeharden_yaml::parse_chunk(chunk, limits) {
            match doc {
                Ok(doc) => {
                    let got = objects_from_document(file, doc);
                    all.objects.extend(got.objects);
                    all.skipped += got.skipped;
                    all.errors.extend(got.errors);
                }
                Err(e) => all.errors.push(LoadError::new(
                    file,
                    Some(e.pos),
                    LoadErrorKind::Syntax { message: e.message },
                )),
            }
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeharden_yaml::{parse_chunk, split_documents, Limits};

    #[test]
    fn a_resource_shows_its_kind_namespace_and_name_once_each() {
        let resource = |kind: &str, namespace: Option<&str>, name: &str| Resource {
            api_version: String::new(),
            kind: kind.into(),
            namespace: namespace.map(str::to_string),
            name: name.into(),
        };
        assert_eq!(
            resource("Pod", Some("shop"), "web").to_string(),
            "Pod shop/web"
        );
        assert_eq!(
            resource("Pod", Some("shop"), "").to_string(),
            "Pod shop/(no name)"
        );
        assert_eq!(resource("file", None, "/etc/x").to_string(), "file /etc/x");
        assert_eq!(resource("kubelet", None, "kubelet").to_string(), "kubelet");
    }

    fn load(text: &str) -> DocumentObjects {
        let file: Arc<str> = "t.yaml".into();
        let mut all = DocumentObjects::default();
        for chunk in split_documents(text) {
            for doc in parse_chunk(chunk, &Limits::default()) {
                let got = objects_from_document(&file, doc.unwrap());
                all.objects.extend(got.objects);
                all.skipped += got.skipped;
                all.errors.extend(got.errors);
            }
        }
        all
    }

    #[test]
    fn reads_identity_of_any_kind() {
        let got = load(
            "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: ns\n",
        );
        assert_eq!(got.objects[0].resource.to_string(), "Widget ns/w");
    }

    #[test]
    fn flattens_lists_and_skips_non_objects() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- foo: bar\n---\nhello: world\n---\napiVersion: v1\nkind: ConfigMapList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n";
        let got = load(text);
        let names: Vec<_> = got.objects.iter().map(|o| o.resource.to_string()).collect();
        assert_eq!(names, ["Pod a", "ConfigMap c"]);
        assert_eq!(got.skipped, 2);
        assert_eq!(got.objects[0].root.pos.line, 4);
    }

    /// A template's `{{ ... }}` outside a string reads as a mapping key that is a
    /// mapping: an error at it, not an object with an odd name judged clean.
    #[test]
    fn template_braces_are_an_error_not_an_object() {
        for (text, line) in [
            ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n", 4),
            ("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  type: {{ .Values.service.type }}\n", 5),
        ] {
            let got = load(text);
            assert!(got.objects.is_empty(), "{text}");
            assert_eq!(got.errors.len(), 1);
            assert!(got.errors[0].message().contains("unrendered template"));
            assert_eq!(got.errors[0].pos.unwrap().line, line);
        }
        // Braces inside strings are text (alert templates, Argo parameters).
        let got = load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  summary: '{{ $labels.instance }} down'\n  arg: \"{{inputs.parameters.x}}\"\n");
        assert_eq!(got.objects.len(), 1);
        assert!(got.errors.is_empty());
    }

    #[test]
    fn keeps_helm_source() {
        let got = load("---\n# Source: app/templates/pod.yaml\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n");
        assert_eq!(
            got.objects[0].helm_source.as_deref(),
            Some("app/templates/pod.yaml")
        );
    }
}
