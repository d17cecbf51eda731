//! List items named by what they are, not by where they stand: the field path a
//! finding's fingerprint is made of (`Finding::keyed_path`).
//!
//! A position would make the fingerprint change when a list is reordered, and worse,
//! let a new item that takes an old one's place (a new credential in the first env
//! var) pass for the old one in a baseline. Each list whose items have a natural key
//! names them by it: containers, volumes, env vars and the like by `name`, mounts by
//! `mountPath`, ports by name or number and protocol, RBAC subjects by kind, namespace
//! and name, capabilities by value, rules (of a Role, a NetworkPolicy, an audit
//! policy) by their content, and a kubeconfig's users, clusters and contexts by name.
//! Lists with no such key (a command's arguments, whose text may be a credential)
//! keep the position.

use kubeharden_yaml::{FieldPath, Node, Seg, Value};

/// `spec.containers[1].env[3].value` as `spec.containers[web].env[TOKEN].value`.
pub(crate) fn keyed_path(root: &Node, path: &FieldPath) -> String {
    let names = item_names(root, path);
    path.to_string_naming(|i| names.get(i).and_then(Option::as_deref))
}

/// For each segment of `path`, the name of the list item it picks, where the list's
/// items have a natural key and the item is in the tree.
fn item_names(root: &Node, path: &FieldPath) -> Vec<Option<String>> {
    let segments = path.segments();
    let mut names = vec![None; segments.len()];
    let mut node = root;
    for (i, seg) in segments.iter().enumerate() {
        let next = match (seg, &node.value) {
            (Seg::Key(k), Value::Map(_)) => node.get(k),
            (Seg::Index(n), Value::Seq(items)) => {
                names[i] = list_of(segments, i).and_then(|list| item_name(list, items, *n));
                items.get(*n)
            }
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => break,
        }
    }
    names
}

/// The keys that name the list segment `i` indexes: its parent's and its own
/// (`("capabilities", "add")`).
fn list_of(segments: &[Seg], i: usize) -> Option<(&str, &str)> {
    let key = |j: usize| match segments.get(j) {
        Some(Seg::Key(k)) => Some(&**k),
        _ => None,
    };
    let own = key(i.checked_sub(1)?)?;
    let parent = i.checked_sub(2).and_then(key).unwrap_or("");
    Some((parent, own))
}

/// The name of item `n`: its natural key, with `#2`, `#3`... for the second, third
/// item of the same key (a list should not have them, but a manifest may).
fn item_name(list: (&str, &str), items: &[Node], n: usize) -> Option<String> {
    // This runs for each finding on an item: for lists keyed by one field (containers,
    // env, volumes), the items before are compared by the field's text as written,
    // without allocating or resolving it (a pod of thousands of containers has tens of
    // thousands of findings), and only a match is read again in full.
    if let Some(key) = keyed_by_field(list) {
        let name = field(items.get(n)?, key)?;
        let same = |item: &&Node| {
            let raw = item.get(key).and_then(Node::scalar).map(|s| &*s.text);
            raw == Some(name.as_str()) && field(item, key).as_deref() == Some(name.as_str())
        };
        let before = items[..n].iter().filter(same).count();
        return Some(numbered(name, before));
    }
    let key_of = natural_key(list)?;
    let name = key_of(items.get(n)?)?;
    let before = items[..n]
        .iter()
        .filter(|item| key_of(item).as_deref() == Some(name.as_str()))
        .count();
    Some(numbered(name, before))
}

/// `name`, or `name#2`, `name#3`... when `before` earlier items have it too.
fn numbered(name: String, before: usize) -> String {
    match before {
        0 => name,
        _ => format!("{name}#{}", before + 1),
    }
}

type KeyOf = fn(&Node) -> Option<String>;

/// The one field that names the items of a list, where one does (`name`); other
/// lists with a natural key are named by [`natural_key`].
fn keyed_by_field(list: (&str, &str)) -> Option<&'static str> {
    match list.1 {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "sysctls"
        | "webhooks"
        | "imagePullSecrets"
        | "users"
        | "clusters"
        | "contexts" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "hostAliases" => Some("ip"),
        _ => None,
    }
}

/// How the items of a list are told apart, by the list's field name.
fn natural_key(list: (&str, &str)) -> Option<KeyOf> {
    Some(match list {
        ("capabilities", "add" | "drop") | (_, "supplementalGroups") => scalar,
        (_, "envFrom") => env_from,
        (_, "ports") => port,
        (_, "subjects") => subject,
        (_, "rules" | "ingress" | "egress" | "from" | "to" | "tolerations") => content,
        _ => return None,
    })
}

fn scalar(item: &Node) -> Option<String> {
    item.scalar_text().map(str::to_string)
}

fn field(item: &Node, key: &str) -> Option<String> {
    item.get(key).and_then(scalar)
}

/// `secretRef:creds` (with its prefix, if any: `DB_` + `secretRef:creds`).
fn env_from(item: &Node) -> Option<String> {
    let prefix = field(item, "prefix").unwrap_or_default();
    ["configMapRef", "secretRef"].iter().find_map(|source| {
        let name = item.get(source).and_then(|s| field(s, "name"))?;
        Some(format!("{prefix}{source}:{name}"))
    })
}

/// A port by its name, else by number and protocol: `http`, `8080/TCP`.
fn port(item: &Node) -> Option<String> {
    if let Some(name) = field(item, "name") {
        return Some(name);
    }
    let number = field(item, "containerPort").or_else(|| field(item, "port"))?;
    let protocol = field(item, "protocol").unwrap_or_else(|| "TCP".to_string());
    Some(format!("{number}/{protocol}"))
}

/// `ServiceAccount/shop/web`, `Group//system:masters`.
fn subject(item: &Node) -> Option<String> {
    let kind = field(item, "kind")?;
    let namespace = field(item, "namespace").unwrap_or_default();
    let name = field(item, "name")?;
    Some(format!("{kind}/{namespace}/{name}"))
}

/// A rule by what it says, whatever the order of its keys and list items: a short
/// hash of its canonical text (a hash, so the fingerprint stays short).
fn content(item: &Node) -> Option<String> {
    let mut text = String::new();
    canonical(item, &mut text);
    Some(format!("{:016x}", fnv1a(text.as_bytes())))
}

/// Maps with sorted keys, lists with sorted items, scalars as written.
fn canonical(node: &Node, out: &mut String) {
    match &node.value {
        Value::Scalar(s) => out.push_str(&format!("{:?}", s.text)),
        Value::Seq(items) => {
            let mut texts: Vec<String> = items.iter().map(canonical_text).collect();
            texts.sort();
            out.push('[');
            out.push_str(&texts.join(","));
            out.push(']');
        }
        Value::Map(entries) => {
            let mut texts: Vec<String> = entries
                .iter()
                .map(|e| format!("{}:{}", canonical_text(&e.key), canonical_text(&e.value)))
                .collect();
            texts.sort();
            out.push('{');
            out.push_str(&texts.join(","));
            out.push('}');
        }
    }
}

fn canonical_text(node: &Node) -> String {
    let mut text = String::new();
    canonical(node, &mut text);
    text
}

/// FNV-1a, 64 bits: the same on every platform and release, as fingerprints must be
/// (std's hashers promise neither).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::keyed_path;
    use kubeharden_yaml::{parse_chunk, split_documents, FieldPath, Limits};

    /// The keyed form of `path` in the first document of `text`.
    fn keyed(text: &str, path: &str) -> String {
        let doc = parse_chunk(split_documents(text)[0], &Limits::default()).remove(0);
        keyed_path(&doc.unwrap().root, &FieldPath::parse(path))
    }

    #[test]
    fn items_with_a_natural_key_are_named_by_it() {
        let pod = "spec:\n  containers:\n  - name: web\n    env: [{name: A, value: x}, {name: TOKEN, value: y}]\n    ports: [{containerPort: 80}, {name: metrics, containerPort: 9090}]\n    securityContext: {capabilities: {add: [NET_ADMIN, SYS_TIME]}}\n";
        assert_eq!(
            keyed(pod, "spec.containers[0].env[1].value"),
            "spec.containers[web].env[TOKEN].value"
        );
        assert_eq!(
            keyed(pod, "spec.containers[0].ports[0].hostPort"),
            "spec.containers[web].ports[80/TCP].hostPort"
        );
        assert_eq!(
            keyed(pod, "spec.containers[0].ports[1]"),
            "spec.containers[web].ports[metrics]"
        );
        assert_eq!(
            keyed(
                pod,
                "spec.containers[0].securityContext.capabilities.add[1]"
            ),
            "spec.containers[web].securityContext.capabilities.add[SYS_TIME]"
        );
        // A path without list items, or past the tree, is the path as it was.
        assert_eq!(keyed(pod, "spec.hostNetwork"), "spec.hostNetwork");
        assert_eq!(keyed(pod, "spec.volumes[3].name"), "spec.volumes[3].name");
    }

    #[test]
    fn lists_without_a_key_keep_positions_and_repeats_are_counted() {
        let pod = "spec:\n  containers:\n  - name: a\n    args: [--token=x]\n    env: [{name: A}, {name: A}]\n";
        assert_eq!(
            keyed(pod, "spec.containers[0].args[0]"),
            "spec.containers[a].args[0]"
        );
        assert_eq!(
            keyed(pod, "spec.containers[0].env[1]"),
            "spec.containers[a].env[A#2]"
        );
    }

    #[test]
    fn rules_are_named_by_content_in_any_order() {
        let one = keyed(
            "rules:\n- {apiGroups: [''], resources: [pods], verbs: [get, list]}\n- {verbs: ['*'], resources: ['*'], apiGroups: ['*']}\n",
            "rules[1]",
        );
        let two = keyed(
            "rules:\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n- {apiGroups: [''], resources: [pods], verbs: [list, get]}\n",
            "rules[0]",
        );
        assert_eq!(one, two);
        let other = keyed(
            "rules:\n- {apiGroups: [''], resources: [pods], verbs: [get]}\n",
            "rules[0]",
        );
        assert_ne!(one, other);
    }

    #[test]
    fn kubeconfig_users_are_named_by_name() {
        let kubeconfig =
            "users:\n- {name: ci, user: {exec: {command: x}}}\n- {name: admin, user: {token: x}}\n";
        assert_eq!(
            keyed(kubeconfig, "users[1].user.token"),
            "users[admin].user.token"
        );
    }

    #[test]
    fn subjects_are_named_by_kind_namespace_and_name() {
        let binding = "subjects:\n- {kind: User, name: alice}\n- {kind: ServiceAccount, name: web, namespace: shop}\n";
        assert_eq!(
            keyed(binding, "subjects[1]"),
            "subjects[ServiceAccount/shop/web]"
        );
        assert_eq!(keyed(binding, "subjects[0]"), "subjects[User//alice]");
    }
}
