//! Pods and pod-carrying workloads for the Pod Security differential test.
//!
//! Seeds come from Kubernetes' own Pod Security fixtures and the real-world corpus in
//! `../shared` (when present) plus a few built in. Each case is a seed, often hardened
//! first, with one to three random mutations of the fields Pod Security reads: every
//! securityContext field at pod and container level, init containers, Windows pods,
//! annotations, volumes, sysctls, host namespaces and ports, and wrong types. A quarter
//! are wrapped in a workload. Everything is seeded, so a failure reproduces.

use serde_json::{json, Map, Value};
use std::path::Path;

pub use kubeharden_testbed::Rng;

/// One generated object and how it was made.
pub struct Case {
    pub object: Value,
    pub how: String,
}

/// A seed pod: where it came from, and the pod.
pub struct Seed {
    pub origin: String,
    pub pod: Value,
}

pub fn builtin_seeds() -> Vec<Seed> {
    let bare = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare"},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0"}]}});
    let restricted = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "restricted"},
        "spec": {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "initContainers": [{"name": "init", "image": "registry.example/init:1.0",
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}],
            "containers": [{"name": "app", "image": "registry.example/app:1.0",
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}},
                {"name": "sidecar", "image": "registry.example/proxy:1.0",
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}}]}});
    let windows = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "windows"},
        "spec": {"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": true},
            "containers": [{"name": "app", "image": "mcr.example/windows/servercore:ltsc2022"}]}});
    vec![
        Seed {
            origin: "builtin:bare".into(),
            pod: bare,
        },
        Seed {
            origin: "builtin:restricted".into(),
            pod: restricted,
        },
        Seed {
            origin: "builtin:windows".into(),
            pod: windows,
        },
    ]
}

/// Every YAML file under `dir`, parsed by kubeharden's own loader into JSON.
fn yaml_objects(dir: &Path) -> Vec<(String, Value)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")) {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let name: std::sync::Arc<str> = f.display().to_string().into();
        let loaded = kubeharden_load::load_text(&name, &text, &Default::default());
        for o in &loaded.objects {
            if let Ok(v) = kubeharden_yaml::from_node::<Value>(&o.root) {
                out.push((f.display().to_string(), v));
            }
        }
    }
    out
}

/// The pod template of a workload, as a Pod.
fn pod_of(object: &Value) -> Option<Value> {
    let kind = object.get("kind")?.as_str()?;
    let (meta, spec) = match kind {
        "Pod" => (object.get("metadata"), object.get("spec")?),
        "CronJob" => {
            let t = object.pointer("/spec/jobTemplate/spec/template")?;
            (t.get("metadata"), t.get("spec")?)
        }
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => {
            let t = object.pointer("/spec/template")?;
            (t.get("metadata"), t.get("spec")?)
        }
        _ => return None,
    };
    spec.get("containers")?.as_array()?;
    let annotations = meta
        .and_then(|m| m.get("annotations"))
        .cloned()
        .unwrap_or(json!({}));
    Some(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "seed", "annotations": annotations}, "spec": spec.clone()}))
}

/// Seeds from `../shared`: the Pod Security fixtures and the real corpus's pods.
pub fn shared_seeds(shared: &Path) -> Vec<Seed> {
    let mut seeds = Vec::new();
    for (dir, limit) in [
        ("conformance/psa/fixtures", usize::MAX),
        ("corpus/real", 400),
    ] {
        let mut n = 0;
        for (file, object) in yaml_objects(&shared.join(dir)) {
            if n >= limit {
                break;
            }
            if let Some(pod) = pod_of(&object) {
                seeds.push(Seed { origin: file, pod });
                n += 1;
            }
        }
    }
    seeds
}

/// Makes a seed valid to create anywhere: no references to objects that the test
/// namespaces lack (admission would refuse those before Pod Security runs), and only
/// the metadata a create accepts.
pub fn normalize(pod: &mut Value, name: &str) {
    let annotations = pod
        .pointer("/metadata/annotations")
        .cloned()
        .unwrap_or(json!({}));
    let keep: Map<String, Value> = annotations
        .as_object()
        .map(|a| {
            a.iter()
                .filter(|(k, _)| k.contains("seccomp") || k.contains("apparmor"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    pod["metadata"] = json!({"name": name, "labels": {"app": "psa"}, "annotations": keep});
    if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
        for k in [
            "serviceAccountName",
            "serviceAccount",
            "priorityClassName",
            "priority",
            "runtimeClassName",
            "nodeName",
            "resourceClaims",
            "schedulingGates",
            "preemptionPolicy",
            "overhead",
            "ephemeralContainers",
        ] {
            spec.remove(k);
        }
    }
    pod.as_object_mut().unwrap().remove("status");
}

/// Every regular and init container, regular ones first.
fn containers_of(pod: &mut Value) -> Vec<&mut Value> {
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return Vec::new();
    };
    spec.iter_mut()
        .filter(|(k, _)| *k == "initContainers" || *k == "containers")
        .filter_map(|(_, v)| v.as_array_mut())
        .flat_map(|a| a.iter_mut())
        .collect()
}

/// Sets the restricted profile on the pod and every container.
pub fn harden(pod: &mut Value) {
    let windows = pod.pointer("/spec/os/name").and_then(Value::as_str) == Some("windows");
    let sc = &mut pod["spec"]["securityContext"];
    if !sc.is_object() {
        *sc = json!({});
    }
    sc["runAsNonRoot"] = json!(true);
    if !windows {
        sc["seccompProfile"] = json!({"type": "RuntimeDefault"});
    }
    for c in containers_of(pod) {
        let sc = &mut c["securityContext"];
        if !sc.is_object() {
            *sc = json!({});
        }
        let sc = sc.as_object_mut().unwrap();
        for k in [
            "privileged",
            "runAsUser",
            "procMount",
            "seLinuxOptions",
            "appArmorProfile",
        ] {
            sc.remove(k);
        }
        if !windows {
            sc.insert("allowPrivilegeEscalation".into(), json!(false));
            sc.insert("capabilities".into(), json!({"drop": ["ALL"]}));
            if sc.get("seccompProfile").is_some() {
                sc.insert("seccompProfile".into(), json!({"type": "RuntimeDefault"}));
            }
        }
        if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
            for p in ports {
                p.as_object_mut().map(|p| p.remove("hostPort"));
            }
        }
    }
    let spec = pod["spec"].as_object_mut().unwrap();
    for k in ["hostNetwork", "hostPID", "hostIPC"] {
        spec.remove(k);
    }
    let mut dropped = Vec::new();
    if let Some(vols) = spec.get_mut("volumes").and_then(Value::as_array_mut) {
        vols.retain(|v| {
            let keep = [
                "emptyDir",
                "configMap",
                "secret",
                "projected",
                "downwardAPI",
                "persistentVolumeClaim",
                "csi",
                "ephemeral",
                "image",
            ]
            .iter()
            .any(|k| v.get(*k).is_some());
            if !keep {
                dropped.push(v["name"].clone());
            }
            keep
        });
    }
    // A mount of a dropped volume would make the pod invalid.
    for c in containers_of(pod) {
        if let Some(mounts) = c.get_mut("volumeMounts").and_then(Value::as_array_mut) {
            mounts.retain(|m| !dropped.contains(&m["name"]));
        }
    }
    if let Some(sc) = pod["spec"]["securityContext"].as_object_mut() {
        for k in ["runAsUser", "seLinuxOptions", "sysctls", "appArmorProfile"] {
            sc.remove(k);
        }
        if windows {
            sc.remove("seccompProfile");
        }
    }
}

const SECCOMP: &[&str] = &[
    r#"{"type":"RuntimeDefault"}"#,
    r#"{"type":"Unconfined"}"#,
    r#"{"type":"Localhost","localhostProfile":"profiles/audit.json"}"#,
];
const APPARMOR: &[&str] = &[
    r#"{"type":"RuntimeDefault"}"#,
    r#"{"type":"Unconfined"}"#,
    r#"{"type":"Localhost","localhostProfile":"k8s-nginx"}"#,
];
const SELINUX: &[&str] = &[
    r#"{"type":"container_t"}"#,
    r#"{"type":"container_init_t"}"#,
    r#"{"type":"container_kvm_t"}"#,
    r#"{"type":"container_engine_t"}"#,
    r#"{"type":"spc_t"}"#,
    r#"{"user":"system_u"}"#,
    r#"{"role":"system_r"}"#,
    r#"{"level":"s0:c123,c456"}"#,
    r#"{"type":"container_t","level":"s0:c1,c2"}"#,
];
const CAPS_ADD: &[&str] = &[
    r#"["NET_BIND_SERVICE"]"#,
    r#"["SYS_ADMIN"]"#,
    r#"["NET_RAW"]"#,
    r#"["CHOWN","KILL","SETUID","SETGID"]"#,
    r#"["AUDIT_WRITE","MKNOD","SYS_CHROOT","SETFCAP","SETPCAP","FSETID","FOWNER","DAC_OVERRIDE"]"#,
    r#"["ALL"]"#,
    r#"["CAP_NET_BIND_SERVICE"]"#,
    r#"["net_bind_service"]"#,
    r#"["SYS_PTRACE"]"#,
    r#"["NET_ADMIN","NET_BIND_SERVICE"]"#,
];
const CAPS_DROP: &[&str] = &[
    r#"["ALL"]"#,
    r#"["NET_RAW"]"#,
    r#"["all"]"#,
    r#"["ALL","NET_RAW"]"#,
    "[]",
];
const SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "kernel.msgmax",
    "net.core.somaxconn",
    "kernel.sem",
    "net.ipv4.ip_forward",
    "vm.swappiness",
];
const VOLUMES: &[&str] = &[
    r#"{"hostPath":{"path":"/var/run/docker.sock"}}"#,
    r#"{"hostPath":{"path":"/tmp","type":"Directory"}}"#,
    r#"{"emptyDir":{}}"#,
    r#"{"configMap":{"name":"settings"}}"#,
    r#"{"secret":{"secretName":"creds"}}"#,
    r#"{"projected":{"sources":[{"serviceAccountToken":{"path":"token"}}]}}"#,
    r#"{"downwardAPI":{"items":[{"path":"labels","fieldRef":{"fieldPath":"metadata.labels"}}]}}"#,
    r#"{"persistentVolumeClaim":{"claimName":"data"}}"#,
    r#"{"ephemeral":{"volumeClaimTemplate":{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}}}"#,
    r#"{"csi":{"driver":"inline.storage.example"}}"#,
    r#"{"nfs":{"server":"nfs.example","path":"/exports"}}"#,
    r#"{"iscsi":{"targetPortal":"10.0.0.1:3260","iqn":"iqn.2001-04.com.example:storage","lun":0}}"#,
    r#"{"gcePersistentDisk":{"pdName":"disk-1"}}"#,
    r#"{"awsElasticBlockStore":{"volumeID":"vol-1"}}"#,
    r#"{"cephfs":{"monitors":["10.0.0.2:6789"]}}"#,
    r#"{"flexVolume":{"driver":"example/flex"}}"#,
    r#"{"azureFile":{"secretName":"azure","shareName":"share"}}"#,
    r#"{"fc":{"targetWWNs":["500a0982991b8dc5"],"lun":1}}"#,
    r#"{"rbd":{"monitors":["10.0.0.3:6789"],"image":"img"}}"#,
    r#"{"image":{"reference":"registry.example/data:1.0"}}"#,
];

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// Sets or removes a field at a pod-level path.
fn set(target: &mut Value, keys: &[&str], value: Option<Value>) {
    let mut cur = target;
    for k in &keys[..keys.len() - 1] {
        if !cur.get(*k).is_some_and(Value::is_object) {
            cur[*k] = json!({});
        }
        cur = cur.get_mut(*k).unwrap();
    }
    let last = keys[keys.len() - 1];
    match value {
        Some(v) => cur[last] = v,
        None => {
            cur.as_object_mut().map(|o| o.remove(last));
        }
    }
}

/// A field Pod Security reads, with the values the generator tries and a value of the
/// wrong type for it.
struct Field {
    keys: &'static [&'static str],
    values: fn(&mut Rng) -> Option<Value>,
    wrong: fn() -> Value,
}

fn boolean(rng: &mut Rng) -> Option<Value> {
    match rng.below(3) {
        0 => Some(json!(true)),
        1 => Some(json!(false)),
        _ => None,
    }
}
fn uid(rng: &mut Rng) -> Option<Value> {
    [Some(json!(0)), Some(json!(1000)), Some(json!(65534)), None][rng.below(4)].clone()
}
fn seccomp(rng: &mut Rng) -> Option<Value> {
    if rng.chance(15) {
        None
    } else {
        Some(parse(rng.pick::<&str>(SECCOMP)))
    }
}
fn apparmor(rng: &mut Rng) -> Option<Value> {
    if rng.chance(15) {
        None
    } else {
        Some(parse(rng.pick::<&str>(APPARMOR)))
    }
}
fn selinux(rng: &mut Rng) -> Option<Value> {
    Some(parse(rng.pick::<&str>(SELINUX)))
}
fn host_process(rng: &mut Rng) -> Option<Value> {
    Some(json!({"hostProcess": rng.chance(60)}))
}
fn caps(rng: &mut Rng) -> Option<Value> {
    let mut c = json!({});
    if rng.chance(70) {
        c["add"] = parse(rng.pick::<&str>(CAPS_ADD));
    }
    if rng.chance(60) {
        c["drop"] = parse(rng.pick::<&str>(CAPS_DROP));
    }
    Some(c)
}
fn proc_mount(rng: &mut Rng) -> Option<Value> {
    Some(json!(if rng.chance(60) {
        "Unmasked"
    } else {
        "Default"
    }))
}
fn groups(rng: &mut Rng) -> Option<Value> {
    Some(if rng.chance(50) {
        json!([0])
    } else {
        json!([1000, 2000])
    })
}
fn sysctls(rng: &mut Rng) -> Option<Value> {
    let n = 1 + rng.below(2);
    let items: Vec<Value> = (0..n)
        .map(|_| {
            let name = *rng.pick(SYSCTLS);
            let value = match name {
                "net.ipv4.ip_local_port_range" => "1024 65000",
                "net.ipv4.ping_group_range" => "0 2147483647",
                "net.ipv4.tcp_rmem" | "net.ipv4.tcp_wmem" => "4096 87380 6291456",
                "net.ipv4.ip_local_reserved_ports" => "8080",
                _ => "1",
            };
            json!({"name": name, "value": value})
        })
        .collect();
    Some(Value::Array(items))
}

const WRONG_BOOL: fn() -> Value = || json!("true");
const WRONG_INT: fn() -> Value = || json!("1000");
const WRONG_OBJECT: fn() -> Value = || json!("RuntimeDefault");
const WRONG_LIST: fn() -> Value = || json!("ALL");

const POD_FIELDS: &[Field] = &[
    Field {
        keys: &["spec", "securityContext", "runAsNonRoot"],
        values: boolean,
        wrong: WRONG_BOOL,
    },
    Field {
        keys: &["spec", "securityContext", "runAsUser"],
        values: uid,
        wrong: WRONG_INT,
    },
    Field {
        keys: &["spec", "securityContext", "runAsGroup"],
        values: uid,
        wrong: WRONG_INT,
    },
    Field {
        keys: &["spec", "securityContext", "fsGroup"],
        values: uid,
        wrong: WRONG_INT,
    },
    Field {
        keys: &["spec", "securityContext", "supplementalGroups"],
        values: groups,
        wrong: WRONG_LIST,
    },
    Field {
        keys: &["spec", "securityContext", "seccompProfile"],
        values: seccomp,
        wrong: WRONG_OBJECT,
    },
    Field {
        keys: &["spec", "securityContext", "appArmorProfile"],
        values: apparmor,
        wrong: WRONG_OBJECT,
    },
    Field {
        keys: &["spec", "securityContext", "seLinuxOptions"],
        values: selinux,
        wrong: WRONG_OBJECT,
    },
    Field {
        keys: &["spec", "securityContext", "windowsOptions"],
        values: host_process,
        wrong: WRONG_OBJECT,
    },
    Field {
        keys: &["spec", "securityContext", "sysctls"],
        values: sysctls,
        wrong: WRONG_LIST,
    },
    Field {
        keys: &["spec", "hostNetwork"],
        values: boolean,
        wrong: WRONG_BOOL,
    },
    Field {
        keys: &["spec", "hostPID"],
        values: boolean,
        wrong: WRONG_BOOL,
    },
    Field {
        keys: &["spec", "hostIPC"],
        values: boolean,
        wrong: WRONG_BOOL,
    },
    Field {
        keys: &["spec", "hostUsers"],
        values: boolean,
        wrong: WRONG_BOOL,
    },
];

const CONTAINER_FIELDS: &[Field] = &[
    Field {
        keys: &["securityContext", "privileged"],
        values: boolean,
        wrong: WRONG_BOOL,
    },
    Field {
        keys: &["securityContext", "allowPrivilegeEscalation"],
        values: boolean,
        wrong: WRONG_BOOL,
    },
    Field {
        keys: &["securityContext", "capabilities"],
        values: caps,
        wrong: WRONG_LIST,
    },
    Field {
        keys: &["securityContext", "runAsNonRoot"],
        values: boolean,
        wrong: WRONG_BOOL,
    },
    Field {
        keys: &["securityContext", "runAsUser"],
        values: uid,
        wrong: WRONG_INT,
    },
    Field {
        keys: &["securityContext", "seccompProfile"],
        values: seccomp,
        wrong: WRONG_OBJECT,
    },
    Field {
        keys: &["securityContext", "appArmorProfile"],
        values: apparmor,
        wrong: WRONG_OBJECT,
    },
    Field {
        keys: &["securityContext", "seLinuxOptions"],
        values: selinux,
        wrong: WRONG_OBJECT,
    },
    Field {
        keys: &["securityContext", "windowsOptions"],
        values: host_process,
        wrong: WRONG_OBJECT,
    },
    Field {
        keys: &["securityContext", "procMount"],
        values: proc_mount,
        wrong: || json!(1),
    },
    Field {
        keys: &["securityContext", "readOnlyRootFilesystem"],
        values: boolean,
        wrong: WRONG_BOOL,
    },
];

/// One random change to the pod; returns what it did.
fn mutate(pod: &mut Value, rng: &mut Rng, wrong_type: bool) -> String {
    let names: Vec<String> = containers_of(pod)
        .iter()
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    let how = match rng.below(10) {
        0..=3 => {
            let f = rng.pick(POD_FIELDS);
            let v = if wrong_type {
                Some((f.wrong)())
            } else {
                (f.values)(rng)
            };
            let how = format!("{}={}", f.keys.join("."), fmt(&v));
            set(pod, f.keys, v);
            how
        }
        4..=7 => {
            let f = rng.pick(CONTAINER_FIELDS);
            let v = if wrong_type {
                Some((f.wrong)())
            } else {
                (f.values)(rng)
            };
            let mut cs = containers_of(pod);
            let i = rng.below(cs.len().max(1));
            let how = format!("container[{i}].{}={}", f.keys.join("."), fmt(&v));
            if let Some(c) = cs.get_mut(i) {
                set(c, f.keys, v);
            }
            how
        }
        8 => {
            let v = parse(rng.pick::<&str>(VOLUMES));
            let how = format!("volume {v}");
            let mut vol = v;
            vol["name"] = json!(format!("v{}", rng.below(1000)));
            let spec = &mut pod["spec"];
            if !spec["volumes"].is_array() {
                spec["volumes"] = json!([]);
            }
            spec["volumes"].as_array_mut().unwrap().push(vol);
            how
        }
        _ => {
            let name = names
                .get(rng.below(names.len().max(1)))
                .cloned()
                .unwrap_or_default();
            let (key, value) = match rng.below(5) {
                0 => (
                    "seccomp.security.alpha.kubernetes.io/pod".to_string(),
                    *rng.pick(&[
                        "runtime/default",
                        "unconfined",
                        "localhost/profile.json",
                        "docker/default",
                    ]),
                ),
                1 => (
                    format!("container.seccomp.security.alpha.kubernetes.io/{name}"),
                    *rng.pick(&["runtime/default", "unconfined"]),
                ),
                2 => {
                    let mut cs = containers_of(pod);
                    let i = rng.below(cs.len().max(1));
                    if let Some(c) = cs.get_mut(i) {
                        let port = json!({"containerPort": 8080, "hostPort": if rng.chance(70) { 8080 } else { 0 }});
                        set(c, &["ports"], Some(json!([port])));
                    }
                    return format!("container[{i}] hostPort");
                }
                _ => (
                    format!("container.apparmor.security.beta.kubernetes.io/{name}"),
                    *rng.pick(&["runtime/default", "unconfined", "localhost/k8s-nginx"]),
                ),
            };
            let annotations = &mut pod["metadata"]["annotations"];
            if !annotations.is_object() {
                *annotations = json!({});
            }
            annotations[&key] = json!(value);
            format!("annotation {key}={value}")
        }
    };
    how
}

/// Keeps a mutation valid where the API server would otherwise refuse the pod before
/// Pod Security sees it: Windows host processes need the host network, and an
/// unmasked /proc is only valid in a user namespace.
fn cohere(pod: &mut Value, rng: &mut Rng) {
    let text = pod["spec"].to_string();
    if text.contains(r#""hostProcess":true"#) {
        pod["spec"]["hostNetwork"] = json!(true);
        pod["spec"].as_object_mut().unwrap().remove("hostUsers");
    }
    if text.contains(r#""procMount":"Unmasked""#) && rng.chance(70) {
        let spec = pod["spec"].as_object_mut().unwrap();
        spec.insert("hostUsers".into(), json!(false));
        for k in ["hostNetwork", "hostPID", "hostIPC"] {
            spec.remove(k);
        }
    }
}

fn fmt(v: &Option<Value>) -> String {
    v.as_ref().map_or("<unset>".into(), Value::to_string)
}

/// Wraps a pod into a workload that carries it as a template.
fn wrap(pod: &Value, kind: &str, name: &str) -> Value {
    let mut spec = pod["spec"].clone();
    let template = |spec: &Value| {
        json!({"metadata": {"labels": {"app": name}, "annotations": pod["metadata"]["annotations"].clone()},
            "spec": spec})
    };
    let selector = json!({"matchLabels": {"app": name}});
    let meta = json!({"name": name});
    match kind {
        "Job" | "CronJob" => {
            spec["restartPolicy"] = json!("Never");
            let job = json!({"template": template(&spec)});
            if kind == "Job" {
                json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": job})
            } else {
                json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
                    "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": job}}})
            }
        }
        "ReplicationController" => {
            spec.as_object_mut().unwrap().remove("restartPolicy");
            json!({"apiVersion": "v1", "kind": kind, "metadata": meta,
                "spec": {"selector": {"app": name}, "template": template(&spec)}})
        }
        "PodTemplate" => {
            json!({"apiVersion": "v1", "kind": kind, "metadata": meta, "template": template(&spec)})
        }
        _ => {
            spec.as_object_mut().unwrap().remove("restartPolicy");
            let mut s = json!({"selector": selector, "template": template(&spec)});
            if kind == "StatefulSet" {
                s["serviceName"] = json!(name);
            }
            json!({"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": s})
        }
    }
}

const WORKLOADS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "ReplicationController",
    "PodTemplate",
];

/// `count` cases from the seeds, deterministic for a given `seed`.
pub fn generate(seeds: &[Seed], count: usize, seed: u64) -> Vec<Case> {
    let mut rng = Rng::new(seed);
    let mut cases = Vec::with_capacity(count);
    for i in 0..count {
        let s = &seeds[rng.below(seeds.len())];
        let name = format!("c{i}");
        let mut pod = s.pod.clone();
        normalize(&mut pod, &name);
        let mut how = vec![s.origin.clone()];
        if rng.chance(55) {
            harden(&mut pod);
            how.push("hardened".into());
        }
        // One case in twelve carries a field of the wrong type.
        let wrong = rng.chance(8);
        let n = 1 + rng.below(3);
        for j in 0..n {
            how.push(mutate(&mut pod, &mut rng, wrong && j == 0));
        }
        if !wrong {
            cohere(&mut pod, &mut rng);
        }
        let object = if rng.chance(25) {
            let kind = *rng.pick(WORKLOADS);
            how.push(format!("as {kind}"));
            wrap(&pod, kind, &name)
        } else {
            pod
        };
        cases.push(Case {
            object,
            how: how.join("; "),
        });
    }
    cases
}

/// Ephemeral containers to add to a running (restricted) pod through the
/// `pods/ephemeralcontainers` subresource, which is how they are admitted.
pub fn ephemeral_containers(count: usize, seed: u64) -> Vec<(Value, String)> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|i| {
            let mut pod = json!({"spec": {"containers": [{"name": format!("debug-{i}"), "image": "registry.example/debug:1.0"}]}});
            let mut how = Vec::new();
            if rng.chance(50) {
                pod["spec"]["containers"][0]["securityContext"] =
                    json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}});
                how.push("hardened".to_string());
            }
            let wrong = rng.chance(8);
            for j in 0..1 + rng.below(2) {
                let f = rng.pick(CONTAINER_FIELDS);
                let v = if wrong && j == 0 { Some((f.wrong)()) } else { (f.values)(&mut rng) };
                how.push(format!("{}={}", f.keys.join("."), fmt(&v)));
                set(&mut pod["spec"]["containers"][0], f.keys, v);
            }
            (pod["spec"]["containers"][0].clone(), how.join("; "))
        })
        .collect()
}
