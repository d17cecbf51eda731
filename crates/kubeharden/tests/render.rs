//! Helm charts and Kustomize overlays scanned as folders: rendered with `helm
//! template` and `kustomize build` (found on PATH), never read as plain YAML, and a
//! chart or overlay that cannot be rendered is an error that says why, while the rest
//! of the scan goes on.
//!
//! The fixtures in tests/render/ are shaped like popular charts (`helm create`'s
//! helpers, `toYaml` of values blocks, `with`, `range`, a vendored subchart) and
//! overlays (a base, a component, strategic-merge and JSON 6902 patches, a namespace).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{json, root, rule_ids, tree};

const PRIVILEGED_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: x, securityContext: {privileged: true}}\n";
use serde_json::Value;

fn fixtures() -> PathBuf {
    root().join("crates/kubeharden/tests/render")
}

/// Whether helm and kustomize are on PATH (the test is skipped loudly, or fails
/// under KUBEHARDEN_REQUIRE_TOOLS=1, when one is not).
fn tools() -> bool {
    let helm = kubeharden_testkit::tool("helm", "charts are not rendered (testbed/helm builds it)");
    let kustomize = kubeharden_testkit::tool(
        "kustomize",
        "overlays are not rendered (testbed/kustomize builds it)",
    );
    helm.is_some() && kustomize.is_some()
}

/// `kubeharden ARGS` in `dir` with `PATH` as given (`None`: this process's).
fn run(dir: &Path, args: &[&str], path: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kubeharden"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    if let Some(path) = path {
        command.env("PATH", path);
    }
    command.output().unwrap()
}

/// The rendered text a finding is in (`location` is the source for a mapped one).
fn rendered_file(f: &Value) -> &str {
    let rendered = &f["rendered"]["file"];
    rendered
        .as_str()
        .unwrap_or_else(|| f["location"]["file"].as_str().unwrap())
}

fn files_of(doc: &Value) -> Vec<String> {
    let mut files: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| rendered_file(f).to_string())
        .collect();
    files.dedup();
    files
}

fn errors_of(doc: &Value) -> Vec<String> {
    doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["file"].as_str().unwrap(),
                e["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// The text `field` of each finding `keep` keeps.
fn pick(doc: &Value, keep: impl Fn(&Value) -> bool, field: &str) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| keep(f))
        .map(|f| f[field].as_str().unwrap().to_string())
        .collect()
}

/// The rule IDs of the findings in `file` for `container`.
fn rules_for(doc: &Value, file: &str, container: &str) -> Vec<String> {
    let keep = |f: &Value| rendered_file(f) == file && f["container"] == container;
    pick(doc, keep, "rule_id")
}

#[test]
fn a_chart_and_an_overlay_are_rendered_not_read_as_yaml() {
    if !tools() {
        return;
    }
    let out = run(&fixtures(), &["scan", ".", "-f", "json"], None);
    let doc = json(&out);
    assert_eq!(errors_of(&doc), Vec::<String>::new());
    assert_eq!(out.status.code(), Some(1));
    let mut files = files_of(&doc);
    files.sort();
    files.dedup();
    // Neither the templates, the values, the base nor the patches are read alone.
    assert_eq!(
        files,
        [
            "shop/overlays/prod (kustomize build)",
            "web (helm template)"
        ]
    );
    // The subchart is rendered with the parent's values for it.
    let cache = rules_for(&doc, "web (helm template)", "cache");
    assert!(cache.contains(&"KH101".to_string()), "{cache:?}");
    // The overlay's component added a privileged sidecar, its patch the host network,
    // its JSON 6902 patch removed the token opt-out; the namespace transformer put it
    // in shop-prod.
    let debug = rules_for(&doc, "shop/overlays/prod (kustomize build)", "debug");
    assert!(debug.contains(&"KH101".to_string()), "{debug:?}");
    let api: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["resource"]["name"] == "api")
        .collect();
    assert!(api
        .iter()
        .all(|f| f["resource"]["namespace"] == "shop-prod"));
    for rule in ["KH102", "KH402"] {
        assert!(api.iter().any(|f| f["rule_id"] == rule), "{rule} missing");
    }
}

#[test]
fn each_values_set_is_a_variant_of_its_own() {
    if !tools() {
        return;
    }
    let out = run(
        &fixtures(),
        &[
            "scan",
            "web",
            "-f",
            "json",
            "--release-name",
            "shop",
            "--namespace",
            "store",
            "--values-set",
            "prod=prod-values.yaml",
            "--values-set",
            "dev=web/values.yaml",
        ],
        None,
    );
    let doc = json(&out);
    assert_eq!(errors_of(&doc), Vec::<String>::new());
    let prod = rules_for(&doc, "web (helm template, values-set prod)", "web");
    let dev = rules_for(&doc, "web (helm template, values-set dev)", "web");
    // prod-values.yaml hardens the container; the chart's defaults do not.
    for rule in ["KH121", "KH122", "KH125", "KH132"] {
        assert!(dev.contains(&rule.to_string()), "dev lacks {rule}: {dev:?}");
        assert!(
            !prod.contains(&rule.to_string()),
            "prod has {rule}: {prod:?}"
        );
    }
    let names: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["resource"])
        .collect();
    assert!(
        names.iter().any(|r| r["name"] == "shop-web"),
        "--release-name"
    );
    assert!(
        names.iter().all(|r| r["namespace"] == "store"),
        "--namespace"
    );
    // The same object of two variants is two findings: two fingerprints (SARIF and
    // baselines keep them apart), each message tagged once with its variant.
    let findings = doc["findings"].as_array().unwrap();
    let of = |rule: &str, variant: &str| {
        findings
            .iter()
            .filter(|f| f["rule_id"] == rule && f["variant"] == variant)
            .map(|f| {
                (
                    f["fingerprint"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let (prod, dev) = (of("KH302", "prod"), of("KH302", "dev"));
    assert!(!prod.is_empty() && !dev.is_empty(), "{doc}");
    assert!(prod[0].0.ends_with("|values-set:prod") && dev[0].0.ends_with("|values-set:dev"));
    assert_ne!(prod[0].0, dev[0].0);
    for f in findings {
        let message = f["message"].as_str().unwrap();
        assert!(message.matches("[values-set").count() == 1, "{message}");
    }
}

#[test]
fn set_and_values_reach_helm() {
    if !tools() {
        return;
    }
    let base = ["scan", "web", "-f", "json", "--select", "KH102"];
    let doc = json(&run(&fixtures(), &base, None));
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
    let mut args = base.to_vec();
    args.extend(["--set", "hostNetwork=true"]);
    let doc = json(&run(&fixtures(), &args, None));
    assert_eq!(doc["findings"][0]["rule_id"], "KH102", "{doc}");
    let mut args = base.to_vec();
    args.extend(["--values", "prod-values.yaml", "--kube-version", "1.30.0"]);
    let out = run(&fixtures(), &args, None);
    assert_eq!(errors_of(&json(&out)), Vec::<String>::new());
}

#[test]
fn without_the_tools_each_folder_says_how_to_install_them_and_the_rest_is_scanned() {
    let dir = tree(&[
        ("pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: x, securityContext: {privileged: true}}\n"),
        ("chart/Chart.yaml", "apiVersion: v2\nname: chart\nversion: 0.1.0\n"),
        ("chart/templates/pod.yaml", "{{ .Values.x }}\n"),
        ("overlay/kustomization.yaml", "resources: [pod.yaml]\n"),
        ("overlay/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: q}\n"),
    ]);
    let empty = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &["scan", ".", "-f", "json", "--select", "KH101"],
        Some(empty.path()),
    );
    assert_eq!(out.status.code(), Some(2));
    let doc = json(&out);
    let errors = errors_of(&doc);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "chart: not rendered (helm template), so not scanned: helm is not installed"
        ),
        "{errors:?}"
    );
    assert!(
        errors[0].contains("go install helm.sh/helm/v3/cmd/helm@v3.22.0"),
        "{errors:?}"
    );
    assert!(
        errors[1].starts_with("overlay: not rendered (kustomize build)"),
        "{errors:?}"
    );
    assert!(
        errors[1].contains("go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.1"),
        "{errors:?}"
    );
    assert_eq!(
        files_of(&doc),
        ["pod.yaml"],
        "the plain file is scanned, not the overlay's"
    );
    // With --fail-on-errors never, the exit code comes from the findings.
    let out = run(
        dir.path(),
        &[
            "scan",
            ".",
            "--select",
            "KH101",
            "--fail-on-errors",
            "never",
        ],
        Some(empty.path()),
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("chart: not rendered"), "{stderr}");
}

#[test]
fn a_chart_that_fails_to_render_is_an_error_in_helms_words() {
    if !tools() {
        return;
    }
    let dir = tree(&[
        ("good.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: x, securityContext: {privileged: true}}\n"),
        ("broken/Chart.yaml", "apiVersion: v2\nname: broken\nversion: 0.1.0\n"),
        ("broken/templates/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ required \"image.tag is required:\\nset it with --set\" .Values.image }}\n"),
        ("needs/Chart.yaml", "apiVersion: v2\nname: needs\nversion: 0.1.0\ndependencies:\n- name: redis\n  version: 1.0.0\n  repository: https://charts.example.com\n"),
        ("needs/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"),
    ]);
    let out = run(
        dir.path(),
        &["scan", ".", "-f", "json", "--select", "KH101"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let doc = json(&out);
    let errors = errors_of(&doc);
    assert_eq!(errors.len(), 2, "{errors:?}");
    // At the template line helm names, its message on one line.
    assert_eq!(
        errors[0],
        "broken/templates/pod.yaml: not rendered (helm template), so not scanned: the chart broken: execution error at (broken/templates/pod.yaml:4:11): image.tag is required:; set it with --set"
    );
    assert_eq!(
        (&doc["errors"][0]["line"], &doc["errors"][0]["column"]),
        (&Value::from(4), &Value::from(11))
    );
    assert!(
        errors[1].starts_with("needs: not rendered (helm template)"),
        "{errors:?}"
    );
    assert!(errors[1].contains("redis"), "{errors:?}");
    assert!(
        errors[1].contains("helm dependency build needs"),
        "{errors:?}"
    );
    assert_eq!(files_of(&doc), ["good.yaml"]);
    let out = run(dir.path(), &["scan", ".", "--select", "KH101"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("broken/templates/pod.yaml:4:11: not rendered"),
        "{text}"
    );
    assert!(!text.contains("\\n"), "{text}");
}

/// `RULE CONTAINER SOURCE <- RENDERED`, and the value behind it, for each finding.
fn places(doc: &Value) -> String {
    let at = |l: &Value| {
        format!(
            "{}:{}:{}",
            l["file"].as_str().unwrap(),
            l["line"],
            l["column"]
        )
    };
    let lines: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let value = match &f["value"] {
                Value::Null => String::new(),
                v => format!(
                    " value {} {} {}",
                    v["key"].as_str().unwrap(),
                    if v["set"] == true {
                        "set at"
                    } else {
                        "unset, block at"
                    },
                    at(&v["location"])
                ),
            };
            format!(
                "{} {} {} <- {}{}",
                f["rule_id"].as_str().unwrap(),
                f["container"].as_str().unwrap_or("-"),
                at(&f["location"]),
                at(&f["rendered"]),
                value
            )
        })
        .collect();
    lines.join("\n")
}

/// Each finding of the overlay at its base resource, or at the patch that set,
/// added or removed the field: the component's sidecar at the component's patch, the
/// host network at the strategic-merge patch, the token opt-out removed and the
/// pod's runAsNonRoot replaced by the JSON 6902 operations.
#[test]
fn overlay_findings_point_at_the_base_or_the_patch() {
    if !tools() {
        return;
    }
    let out = run(
        &fixtures(),
        &["scan", "shop/overlays/prod", "-f", "json"],
        None,
    );
    let doc = json(&out);
    insta::assert_snapshot!(places(&doc));
    let messages: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.ends_with(
            "removed by the patch shop/overlays/prod/loosen.yaml:1 (base: shop/base/deployment.yaml:17)"
        )),
        "{messages:#?}"
    );
    // An inline patch, the images transformer, and a pod-level removal a container
    // inherits are named at their lines in the kustomization, not at the base.
    for said in [
        "set by the images transformer shop/overlays/prod/kustomization.yaml:9 (base: shop/base/deployment.yaml:24)",
        "removed by the patch shop/overlays/prod/kustomization.yaml:18 (base: shop/base/deployment.yaml:21)",
        "set by the patch shop/overlays/prod/kustomization.yaml:34 (base: shop/base/deployment.yaml:26)",
    ] {
        assert!(messages.iter().any(|m| m.ends_with(said)), "{said}: {messages:#?}");
    }
    // The base is a field of its own in JSON, and a related location in SARIF.
    let removed = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["location"]["file"] == "shop/overlays/prod/loosen.yaml")
        .unwrap();
    assert_eq!(
        removed["base"]["file"], "shop/base/deployment.yaml",
        "{removed}"
    );
    assert_eq!(removed["base"]["line"], 17, "{removed}");
    let sarif = json(&run(
        &fixtures(),
        &["scan", "shop/overlays/prod", "-f", "sarif"],
        None,
    ));
    let related: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["relatedLocations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|l| l["message"]["text"] == "the base resource, which the patch changes")
        .map(|l| l["physicalLocation"]["artifactLocation"]["uri"].to_string())
        .collect();
    assert!(
        related
            .iter()
            .any(|uri| uri.contains("shop/base/deployment.yaml")),
        "{related:?}"
    );
}

/// Each finding of the chart as the user reads it: the template line, the value
/// behind it, and the rendered line it came from. The subchart's values come from the
/// parent's values.yaml under its name; a value the chart leaves unset names the
/// block to set it in.
#[test]
fn chart_findings_point_at_the_template_line_and_the_value_to_change() {
    if !tools() {
        return;
    }
    let out = run(&fixtures(), &["scan", "web", "-f", "json"], None);
    let doc = json(&out);
    insta::assert_snapshot!(places(&doc));
    // Text and SARIF name the template too.
    let sarif = json(&run(&fixtures(), &["scan", "web", "-f", "sarif"], None));
    let uris: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.iter().all(|u| u.contains("/templates/")), "{uris:?}");
    let text =
        String::from_utf8_lossy(&run(&fixtures(), &["scan", "web"], None).stdout).into_owned();
    assert!(text.contains("set by the chart value securityContext.runAsNonRoot (web/values.yaml:18): change it there"), "{text}");
}

#[test]
fn fix_reports_rendered_findings_as_not_fixed_never_as_gone() {
    if !tools() {
        return;
    }
    let scanned = json(&run(&fixtures(), &["scan", ".", "-f", "json"], None));
    let found = scanned["findings"].as_array().unwrap().len();
    assert!(found > 0);
    let out = run(&fixtures(), &["fix", ".", "--dry-run"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    // Nothing in the chart or the overlay is a plain manifest fix can edit: every
    // finding remains, each said to be rendered, and the run is not clean.
    assert_eq!(out.status.code(), Some(1), "{text}");
    let said = text
        .lines()
        .filter(|l| l.contains("not fixed: rendered from a Helm chart or a Kustomize overlay"))
        .count();
    assert!(said >= found, "{said} said of {found}: {text}");
    assert!(
        text.contains(&format!("{said} finding(s) remain after the fixes")),
        "{text}"
    );
}

/// The finding of `rule` for `container` (null: the pod's) in a scan of the fixtures
/// with `args`.
fn finding_of(args: &[&str], rule: &str, container: Value) -> Value {
    let doc = json(&run(&fixtures(), args, None));
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule && f["container"] == container)
        .unwrap_or_else(|| panic!("no {rule} for {container}: {}", doc["findings"]))
        .clone()
}

/// A chart value is named only when what it holds is what was rendered: an image
/// built of two values (and a `default`) is the template's, and a value given with
/// --set (for the chart or, under its name, for a subchart) is named as given there;
/// a subchart's own default with the parent's key that overrides it.
#[test]
fn a_value_is_named_only_when_it_holds_what_was_rendered() {
    if !tools() {
        return;
    }
    let built = finding_of(&["scan", "web", "-f", "json"], "KH302", "web".into());
    assert_eq!(built["value"], Value::Null, "{built}");
    let message = built["message"].as_str().unwrap();
    assert!(
        message.contains("written by the template, not taken whole from a chart value (it reads image.repository at web/values.yaml:4, image.tag at web/values.yaml:6)"),
        "{message}"
    );
    let args = ["scan", "web", "-f", "json", "--set", "hostNetwork=true"];
    let set = finding_of(&args, "KH102", Value::Null);
    assert_eq!(
        set["value"]["location"]["file"], "--set hostNetwork",
        "{set}"
    );
    // The key is named, never the value given (it may be a secret).
    let out = run(&fixtures(), &args, None);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("hostNetwork=true"));
    assert!(
        set["message"]
            .as_str()
            .unwrap()
            .ends_with("set by the chart value hostNetwork (--set hostNetwork): change it there"),
        "{set}"
    );
    let args = [
        "scan",
        "web",
        "-f",
        "json",
        "--values",
        "prod-values.yaml",
        "--set",
        "cache.securityContext.privileged=true,replicaCount=3",
    ];
    let sub = finding_of(&args, "KH101", "cache".into());
    assert_eq!(sub["value"]["key"], "cache.securityContext.privileged");
    assert_eq!(
        sub["value"]["location"]["file"],
        "--set cache.securityContext.privileged"
    );
    // Set nowhere but in the subchart's own values.yaml: the user overrides it in the
    // parent's, under the subchart's name.
    let default = finding_of(&["scan", "web", "-f", "json"], "KH302", "cache".into());
    assert_eq!(default["value"]["key"], "image");
    assert_eq!(default["value"]["parent_key"], "cache.image");
    assert!(
        default["message"].as_str().unwrap().ends_with(
            "set by the subchart's default image (web/charts/cache/values.yaml:1): override it as cache.image in the parent chart's values"
        ),
        "{default}"
    );
}

/// A chart's YAML outside templates/ (examples, CI values) is not rendered by helm:
/// it is listed as not scanned, with why, whether the chart is found in a walk or
/// named; named alone, the file is scanned as a manifest.
#[test]
fn a_charts_yaml_outside_templates_is_listed_as_not_scanned() {
    if !tools() {
        return;
    }
    let dir = tree(&[
        ("chart/Chart.yaml", "apiVersion: v2\nname: chart\nversion: 0.1.0\n"),
        ("chart/values.yaml", "a: 1\n"),
        ("chart/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"),
        ("chart/examples/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: x, securityContext: {privileged: true}}\n"),
        ("chart/ci/prod-values.yaml", "a: 2\n"),
    ]);
    let listed = |path: &str| -> Vec<String> {
        let doc = json(&run(dir.path(), &["scan", path, "-f", "json"], None));
        doc["summary"]["skipped_checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["reason"].as_str().unwrap().contains("outside templates/"))
            .map(|s| s["scope"].as_str().unwrap().to_string())
            .collect()
    };
    let expected = ["chart/ci/prod-values.yaml", "chart/examples/pod.yaml"];
    assert_eq!(listed("."), expected);
    assert_eq!(listed("chart"), expected);
    let text =
        String::from_utf8_lossy(&run(dir.path(), &["scan", "chart"], None).stdout).into_owned();
    assert!(
        text.contains("chart/examples/pod.yaml: in the Helm chart chart, outside templates/: helm does not render it, so it was not scanned"),
        "{text}"
    );
    let named = json(&run(
        dir.path(),
        &["scan", "chart/examples/pod.yaml", "-f", "json"],
        None,
    ));
    let rules: Vec<&Value> = named["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["rule_id"])
        .collect();
    assert!(rules.contains(&&Value::from("KH101")), "{rules:?}");
}

/// A library chart renders no objects by design (helm refuses it): it is listed as not
/// rendered, with why, in text and JSON, and fails nothing beside a chart that uses
/// it; alone, nothing was scanned, and that is no clean pass (exit 2, said so).
#[test]
fn a_library_chart_is_listed_as_not_rendered_and_fails_nothing_beside_its_user() {
    if !tools() {
        return;
    }
    let library = "apiVersion: v2\nname: common\nversion: 0.1.0\ntype: library\n";
    let helpers = "{{- define \"common.name\" -}}{{ .Chart.Name }}{{- end -}}\n";
    let dir = tree(&[
        ("common/Chart.yaml", library),
        ("common/templates/_helpers.tpl", helpers),
        ("app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- name: common\n  version: 0.1.0\n"),
        ("app/charts/common/Chart.yaml", library),
        ("app/charts/common/templates/_helpers.tpl", helpers),
        ("app/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include \"common.name\" . }}\n"),
    ]);
    let out = run(dir.path(), &["scan", "common", "-f", "json"], None);
    let doc = json(&out);
    assert_eq!(
        errors_of(&doc),
        ["common: nothing to scan: no Kubernetes object found; no YAML, JSON or Dockerfile read; 1 input not rendered alone, by design (common: library chart): scan what uses it. Check the PATH"]
    );
    assert_eq!(out.status.code(), Some(2));
    let listed: Vec<String> = doc["summary"]["skipped_checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}: {}",
                s["scope"].as_str().unwrap(),
                s["reason"].as_str().unwrap()
            )
        })
        .filter(|s| s.contains("library"))
        .collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(
        listed[0].starts_with("common: not rendered (library chart): "),
        "{listed:?}"
    );
    let out = run(dir.path(), &["scan", "."], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("common: not rendered (library chart)"),
        "{text}"
    );
    assert!(!text.contains("app: not rendered"), "{text}");
}

/// A bad render option is the user's to fix on the command line: told once, exit 2,
/// before any chart is rendered (helm told it once per chart and variant).
#[test]
fn a_bad_render_option_is_one_usage_error_before_rendering() {
    if !tools() {
        return;
    }
    let cases: [(&[&str], &str); 6] = [
        (
            &["--release-name", "Shop_1"],
            "--release-name \"Shop_1\": not a release name",
        ),
        (
            &["--kube-version", "banana"],
            "--kube-version \"banana\": not a Kubernetes version",
        ),
        (
            &["--values", "missing.yaml"],
            "--values \"missing.yaml\": cannot read",
        ),
        (
            &["--set", "image.tag"],
            "--set \"image.tag\": not KEY=VALUE",
        ),
        (
            &["--values-set", "a=missing.yaml"],
            "--values-set \"a=missing.yaml\": cannot read",
        ),
        (
            &[
                "--values-set",
                "a=prod-values.yaml",
                "--values-set",
                "a=web/values.yaml",
            ],
            "--values-set \"a=web/values.yaml\": the name a is given twice",
        ),
    ];
    for (flags, said) in cases {
        let mut args = vec!["scan", ".", "-f", "json"];
        args.extend(flags);
        let out = run(&fixtures(), &args, None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {stderr}");
        let line = format!("kubeharden: error: {said}");
        assert_eq!(stderr.matches(&line).count(), 1, "{flags:?}: {stderr}");
        assert!(!stderr.contains("not rendered"), "{flags:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{flags:?}: no report");
    }
}

/// An overlay that inflates a Helm chart (`helmCharts:`) is rendered with kustomize's
/// --enable-helm, and the chart's objects are judged.
#[test]
fn an_overlay_with_helm_charts_is_rendered_with_helm_enabled() {
    if !tools() {
        return;
    }
    let dir = tree(&[
        ("overlay/kustomization.yaml", "helmCharts:\n- name: app\n  releaseName: shop\n"),
        ("overlay/charts/app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n"),
        ("overlay/charts/app/values.yaml", "{}\n"),
        ("overlay/charts/app/templates/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: x, securityContext: {privileged: true}}\n"),
    ]);
    let out = run(
        dir.path(),
        &["scan", "overlay", "-f", "json", "--select", "KH101"],
        None,
    );
    let doc = json(&out);
    assert_eq!(errors_of(&doc), Vec::<String>::new());
    assert_eq!(doc["findings"][0]["rule_id"], "KH101");
    assert_eq!(out.status.code(), Some(1));
    // Found in a walk, the chart in the overlay's charts/ is the overlay's: rendered
    // once, through it, not again as a chart of its own.
    let doc = json(&run(
        dir.path(),
        &["scan", ".", "-f", "json", "--select", "KH101"],
        None,
    ));
    assert_eq!(errors_of(&doc), Vec::<String>::new());
    assert_eq!(files_of(&doc), ["overlay (kustomize build)"]);
}

/// A Kustomize component, or a chart's template (or its templates/ folder), scanned alone is not renderable by
/// design: it is listed as not rendered, with where it is rendered instead (kustomize
/// refused the component; the template read as broken YAML); and as nothing was
/// scanned, the run says so and exits 2, never a clean "no findings in 0 objects".
#[test]
fn a_component_or_a_template_alone_is_listed_as_not_rendered_and_nothing_scanned() {
    if !tools() {
        return;
    }
    let cases = [
        (
            "shop/components/debug",
            "shop/components/debug: not rendered (Kustomize component): a component (kind: Component) is rendered through the overlays that use it",
            "1 input not rendered alone, by design (shop/components/debug: Kustomize component): scan what uses it",
        ),
        (
            "web/templates/deployment.yaml",
            "web/templates/deployment.yaml: not rendered (a Helm template): it is rendered with its chart, not alone: scan web",
            "1 input not rendered alone, by design (web/templates/deployment.yaml: a Helm template): scan what uses it",
        ),
        (
            "web/templates",
            "web/templates: not rendered (the Helm chart's templates): they are rendered with their chart, not alone: scan web",
            "1 input not rendered alone, by design (web/templates: the Helm chart's templates): scan what uses it",
        ),
    ];
    for (path, said, nothing) in cases {
        let out = run(&fixtures(), &["scan", path], None);
        let text = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path}: {text}{stderr}");
        assert!(text.contains(said), "{path}: {text}");
        let doc = json(&run(&fixtures(), &["scan", path, "-f", "json"], None));
        let errors = errors_of(&doc);
        assert_eq!(errors.len(), 1, "{path}: {errors:?}");
        assert!(errors[0].contains(nothing), "{path}: {errors:?}");
    }
}

/// A chart whose value leaves an object's name empty renders an object the API server
/// refuses: an error, at the template, never a clean-looking `(no name)` object.
#[test]
fn an_object_rendered_without_a_name_is_an_error() {
    if !tools() {
        return;
    }
    let dir = tree(&[
        ("web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n"),
        ("web/values.yaml", "name: \"\"\n"),
        ("web/templates/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: {{ .Values.name }}}\nspec:\n  hostPID: true\n  containers:\n  - {name: c, image: x}\n"),
        ("pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: \"\"}\nspec:\n  containers:\n  - {name: c, image: x}\n"),
        // No name written at all: a configuration file as often as not (an audit
        // Policy), which no API server holds: no error.
        ("policy.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"),
    ]);
    let doc = json(&run(
        dir.path(),
        &["scan", "web", "pod.yaml", "policy.yaml", "-f", "json"],
        None,
    ));
    let errors = errors_of(&doc);
    // The chart's at its template line, naming the value; a plain manifest's too.
    for (at, value) in [
        ("web/templates/pod.yaml:", "web/values.yaml:1"),
        ("pod.yaml:", ""),
    ] {
        assert!(
            errors.iter().any(|e| e.starts_with(at)
                && e.contains("Pod (no name): metadata.name: empty")
                && e.contains(value)),
            "{at}: {errors:?}"
        );
    }
    assert!(
        !errors.iter().any(|e| e.starts_with("policy.yaml")),
        "{errors:?}"
    );
}

/// An overlay in a chart's folder, outside charts/ and templates/, is rendered as an
/// overlay of its own, the chart named or walked: helm never renders it.
#[test]
fn an_overlay_inside_a_chart_folder_is_rendered() {
    if !tools() {
        return;
    }
    let dir = tree(&[
        ("both/Chart.yaml", "apiVersion: v2\nname: both\nversion: 0.1.0\n"),
        ("both/values.yaml", "{}\n"),
        ("both/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"),
        ("both/deploy/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers: [{name: c, image: x}]\n"),
        ("both/deploy/kustomization.yaml", "resources: [deployment.yaml]\npatches:\n- target: {kind: Deployment, name: d}\n  patch: |-\n    - op: add\n      path: /spec/template/spec/hostPID\n      value: true\n"),
    ]);
    for path in ["both", "."] {
        let args = ["scan", path, "-f", "json", "--select", "KH102"];
        let doc = json(&run(dir.path(), &args, None));
        assert_eq!(errors_of(&doc), Vec::<String>::new(), "{path}");
        assert_eq!(doc["findings"][0]["rule_id"], "KH102", "{path}");
    }
}

/// The fixtures of the second trial (tests/render_retrial/), on what it found.
fn retrial() -> PathBuf {
    root().join("crates/kubeharden/tests/render_retrial")
}

/// The findings of `doc` still placed in a rendered text, not at their source.
fn unmapped(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rendered"].is_null())
        .map(|f| format!("{} {}", f["rule_id"], f["location"]))
        .collect()
}

/// Every finding of a rendered object is mapped, not only a pod spec's: the
/// cluster-wide rules' findings on Services, RBAC objects, NetworkPolicies and
/// ServiceAccounts too, each at its own document of a template with several, and an
/// overlay's at its base or the patch that changed the field.
#[test]
fn findings_of_every_kind_point_at_the_template_or_the_base() {
    if !tools() {
        return;
    }
    let args = ["scan", "ops", "shop/prod", "-f", "json"];
    let doc = json(&run(&retrial(), &args, None));
    assert_eq!(unmapped(&doc), Vec::<String>::new());
    insta::assert_snapshot!(places(&doc));
}

/// `FILE:LINE MESSAGE` of each finding of `doc`, in report order.
fn placed_messages(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let at = &f["location"];
            format!(
                "{}:{} {}",
                at["file"].as_str().unwrap(),
                at["line"],
                f["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// The messages of `doc`'s findings of `rule`.
fn messages_of(doc: &Value, rule: &str) -> Vec<String> {
    pick(doc, |f| f["rule_id"] == rule, "message")
}

/// A template line inside an `{{ if }}` that did not render wrote nothing: no value
/// it reads is blamed for a field it would have set, and of an if/else the branch
/// that rendered is the place.
#[test]
fn a_line_in_a_block_that_did_not_render_is_not_blamed() {
    if !tools() {
        return;
    }
    let args = ["scan", "cond", "-f", "json", "--select", "KH101,KH402"];
    let doc = json(&run(&retrial(), &args, None));
    insta::assert_snapshot!(places(&doc));
    let token = messages_of(&doc, "KH402");
    assert_eq!(token.len(), 1, "{token:?}");
    assert!(!token[0].contains("set by the chart value"), "{token:?}");
    assert!(
        token[0].ends_with("the template writes it at line 13 (automountServiceAccountToken: {{ .Values.token.automount }}), in a block that did not render: {{ if .Values.token.disable }} at line 12 is false; it reads token.disable at cond/values.yaml:2"),
        "{token:?}"
    );
}

/// A container a `range` made is placed on the range's body, which the message
/// calls a loop's, naming the iteration and the item of the values it read
/// (`sidecars[0].privileged`), and one a `toYaml` of a list of values wrote on that
/// line, naming its item (`extraContainers[0]....`): never on another container's lines.
#[test]
fn each_container_is_placed_on_the_template_item_that_wrote_it() {
    if !tools() {
        return;
    }
    let args = ["scan", "loop", "-f", "json", "--select", "KH101,KH105"];
    let doc = json(&run(&retrial(), &args, None));
    insta::assert_snapshot!(places(&doc));
    let privileged = messages_of(&doc, "KH101");
    assert!(
        privileged.contains(&"container \"proxy\" runs privileged; written by the loop at line 18 ({{- range .Values.sidecars }}), for item 0 of what it loops over; set by the chart value sidecars[0].privileged (loop/values.yaml:4): change it there".to_string()),
        "{privileged:#?}"
    );
    assert!(
        privileged.contains(&"container \"debug\" runs privileged, which grants every capability and privilege escalation whatever else its securityContext sets; set by the chart value extraContainers[0].securityContext.privileged (loop/values.yaml:9): change it there".to_string()),
        "{privileged:#?}"
    );
}

/// A `range` around whole documents makes one object per item: each object's fields
/// are the values of its own iteration (`workers[1]`), and a `toYaml` of a field of
/// `.` in a `with` inside it names the value under it, however deep the field.
#[test]
fn each_object_a_range_made_names_its_items_values() {
    if !tools() {
        return;
    }
    let args = [
        "scan",
        "workers",
        "-f",
        "json",
        "--select",
        "KH105,KH123,KH302",
    ];
    let doc = json(&run(&retrial(), &args, None));
    let said: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let at = &f["location"];
            format!(
                "{} {}:{} {}",
                f["rule_id"].as_str().unwrap(),
                at["file"].as_str().unwrap(),
                at["line"],
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(said, [
        "KH302 workers/templates/workers.yaml:17 container \"crunch\" uses image \"registry.example.com/crunch:1.0\" without a digest; set by the chart value workers[1].image (workers/values.yaml:8): change it there",
        "KH302 workers/templates/workers.yaml:17 container \"fetch\" uses image \"registry.example.com/fetch:1.0\" without a digest; set by the chart value workers[0].image (workers/values.yaml:3): change it there",
        "KH105 workers/templates/workers.yaml:20 container \"crunch\" adds capability NET_ADMIN; set by the chart value workers[1].pod.securityContext.capabilities.add (workers/values.yaml:13): change it there",
        "KH123 workers/templates/workers.yaml:20 container \"crunch\" sets runAsUser: 0; set by the chart value workers[1].pod.securityContext.runAsUser (workers/values.yaml:11): change it there",
    ]);
}

/// A strategic-merge patch that deletes a map (`$patch: delete`) or sets a field to
/// `null` removed what the base set: the finding names the patch, not the base line
/// that set the field, nor "set by". A container's finding that falls back to the
/// pod-level field (seccompProfile) names the patch that removed that, and its base.
#[test]
fn a_field_a_patch_deletes_or_nulls_is_traced_to_the_patch() {
    if !tools() {
        return;
    }
    let args = [
        "scan",
        "shop/prod",
        "-f",
        "json",
        "--select",
        "KH121,KH124,KH402",
    ];
    let doc = json(&run(&retrial(), &args, None));
    let mut said = messages_of(&doc, "KH121");
    said.extend(messages_of(&doc, "KH124"));
    said.extend(messages_of(&doc, "KH402"));
    assert_eq!(said, [
        "container \"front\" does not set allowPrivilegeEscalation: false; removed by the patch shop/prod/debug.yaml:14 (base: shop/base/deployment.yaml:24)",
        "container \"front\" has no seccomp profile, nor does the pod; removed by the patch shop/prod/debug.yaml:10 (base: shop/base/deployment.yaml:19)",
        "pod mounts the token of service account \"front\": neither the pod nor the account disables automount; removed by the patch shop/prod/debug.yaml:8 (base: shop/base/deployment.yaml:15)",
    ]);
}

const SECURED_BASE: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: api
          image: registry.example.com/api:1.0
          securityContext:
            runAsNonRoot: false
";

/// Deleting the pod's securityContext removes only what the pod set there, and only
/// what a container falls back to: a container-only field (`privileged`, set by a
/// component's sidecar) keeps its own patch, and a field the pod never set
/// (`runAsGroup`) is blamed on no patch, nor is a field the container sets itself
/// (`runAsNonRoot: false` over the pod's `true`). The same for a JSON 6902 `remove`.
#[test]
fn deleting_the_pods_security_context_is_blamed_only_for_what_it_held() {
    if !tools() {
        return;
    }
    let sidecar = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: logger\n          image: registry.example.com/logger:2\n          securityContext:\n            privileged: true\n";
    let delete = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      securityContext:\n        $patch: delete\n";
    let dir = tree(&[
        ("base/deploy.yaml", SECURED_BASE),
        ("base/kustomization.yaml", "resources: [deploy.yaml]\n"),
        ("comp/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: sidecar.yaml\n"),
        ("comp/sidecar.yaml", sidecar),
        ("merge/kustomization.yaml", "resources: [../base]\ncomponents: [../comp]\npatches:\n  - path: delete.yaml\n"),
        ("merge/delete.yaml", delete),
        ("json/kustomization.yaml", "resources: [../base]\ncomponents: [../comp]\npatches:\n  - target: {kind: Deployment, name: api}\n    path: rm.yaml\n"),
        ("json/rm.yaml", "- op: remove\n  path: /spec/template/spec/securityContext\n"),
    ]);
    for (overlay, removed_at) in [("merge", "merge/delete.yaml:9"), ("json", "json/rm.yaml:1")] {
        let args = [
            "scan",
            overlay,
            "-f",
            "json",
            "--select",
            "KH101,KH122,KH130",
        ];
        let doc = json(&run(dir.path(), &args, None));
        assert_eq!(
            messages_of(&doc, "KH101"),
            ["container \"logger\" runs privileged; set by the patch comp/sidecar.yaml:12 (base: base/deploy.yaml:12)"],
            "{overlay}"
        );
        let removed = format!("removed by the patch {removed_at} (base: base/deploy.yaml:11)");
        let run_as = messages_of(&doc, "KH122");
        assert!(
            run_as.len() == 2
                && run_as.contains(&"container \"api\" sets runAsNonRoot: false".to_string())
                && run_as.iter().filter(|m| m.ends_with(&removed)).count() == 1,
            "{overlay}: {run_as:?}"
        );
        let group = messages_of(&doc, "KH130");
        assert!(
            !group.is_empty() && group.iter().all(|m| !m.contains("removed")),
            "{overlay}: {group:?}"
        );
    }
}

/// A chart an overlay inflates (`helmCharts:`, from its `helmGlobals.chartHome`) is
/// mapped into the chart's templates, with the entry's `valuesInline` as the value
/// behind a field, and a patch of the overlay over it named as for any base.
#[test]
fn an_inflated_charts_findings_point_at_its_templates() {
    if !tools() {
        return;
    }
    let args = [
        "scan",
        "inflate",
        "-f",
        "json",
        "--select",
        "KH101,KH102,KH302",
    ];
    let doc = json(&run(&retrial(), &args, None));
    assert_eq!(unmapped(&doc), Vec::<String>::new());
    insta::assert_snapshot!(places(&doc));
    assert_eq!(
        messages_of(&doc, "KH102"),
        ["pod sets hostNetwork: true; set by the chart value hostNetwork (inflate/kustomization.yaml:9): change it there"]
    );
}

/// The smaller findings of the trial: a subchart's objects name the template on
/// disk (its folder, not helm's alias path); a `fail` in a chart an overlay inflates,
/// and a patch file that does not exist, are errors at their line.
#[test]
fn render_errors_and_subchart_origins_name_the_files_on_disk() {
    if !tools() {
        return;
    }
    let dir = tree(&[
        ("store/Chart.yaml", "apiVersion: v2\nname: shop\nversion: 0.1.0\ndependencies:\n- name: redis\n  version: 0.1.0\n  alias: cache\n"),
        ("store/charts/redis/Chart.yaml", "apiVersion: v2\nname: redis\nversion: 0.1.0\n"),
        ("store/charts/redis/templates/pod.yaml", PRIVILEGED_POD),
        ("overlay/kustomization.yaml", "helmCharts:\n- name: app\npatches:\n  - path: gone.yaml\n"),
        ("overlay/charts/app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n"),
        ("overlay/charts/app/values.yaml", "ok: true\n"),
        ("overlay/charts/app/templates/pod.yaml", "{{- if not .Values.ok }}\n{{- fail \"set ok\" }}\n{{- end }}\n"),
        ("inflate/kustomization.yaml", "helmCharts:\n- name: app\n"),
        ("inflate/charts/app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n"),
        ("inflate/charts/app/values.yaml", "ok: false\n"),
        ("inflate/charts/app/templates/pod.yaml", "{{- if not .Values.ok }}\n{{- fail \"set ok\" }}\n{{- end }}\n"),
    ]);
    let doc = json(&run(
        dir.path(),
        &["scan", "store", "-f", "json", "--select", "KH101"],
        None,
    ));
    assert_eq!(
        doc["findings"][0]["helm_source"],
        "store/charts/redis/templates/pod.yaml"
    );
    let text = run(dir.path(), &["scan", "store", "--select", "KH101"], None);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("(from store/charts/redis/templates/pod.yaml)"),
        "{text}"
    );
    let doc = json(&run(
        dir.path(),
        &["scan", "overlay", "inflate", "-f", "json"],
        None,
    ));
    let at: Vec<String> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}:{}", e["file"].as_str().unwrap(), e["line"]))
        .collect();
    assert_eq!(
        at,
        [
            "inflate/charts/app/templates/pod.yaml:2",
            "overlay/kustomization.yaml:4",
            // No "nothing to scan" besides: the render errors say why.
        ]
    );
    let errors = errors_of(&doc);
    assert!(
        errors[0].ends_with(
            "the overlay inflate: Error: execution error at (app/templates/pod.yaml:2:4): set ok"
        ),
        "{errors:?}"
    );
    assert!(
        errors[1].contains("gone.yaml (named at overlay/kustomization.yaml:4) does not exist"),
        "{errors:?}"
    );
}

/// A subchart vendored as `helm dependency build` leaves it, an archive in charts/:
/// its findings are placed at the template line inside the archive, and the parent's
/// value that set the field is named; a default of the archive's own values.yaml is
/// named there, with the parent's key that overrides it.
#[test]
fn a_vendored_archives_templates_are_mapped_to_their_lines() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-db\nspec:\n  hostPID: {{ .Values.hostPID }}\n  containers:\n  - name: db\n    image: registry.example.com/db:1.0\n    securityContext:\n      privileged: {{ .Values.privileged }}\n";
    let dir = tree(&[
        ("src/db/Chart.yaml", "apiVersion: v2\nname: db\nversion: 0.1.0\n"),
        ("src/db/values.yaml", "privileged: false\nhostPID: true\n"),
        ("src/db/templates/pod.yaml", pod),
        ("web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n- name: db\n  version: 0.1.0\n"),
        ("web/values.yaml", "db:\n  privileged: true\n"),
    ]);
    let packed = Command::new("helm")
        .args(["package", "src/db", "-d", "web/charts"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(packed.status.success(), "{packed:?}");
    std::fs::remove_dir_all(dir.path().join("src")).unwrap();
    let args = ["scan", "web", "-f", "json", "--select", "KH101,KH102"];
    let doc = json(&run(dir.path(), &args, None));
    let of_rule = |id: &str| {
        let all = doc["findings"].as_array().unwrap();
        all.iter().find(|f| f["rule_id"] == id).unwrap().clone()
    };
    let f = &of_rule("KH101");
    assert_eq!(
        f["location"]["file"],
        "web/charts/db-0.1.0.tgz/templates/pod.yaml"
    );
    assert_eq!(
        (&f["location"]["line"], &f["location"]["column"]),
        (&11.into(), &7.into())
    );
    let default = &of_rule("KH102");
    assert_eq!(default["location"]["line"], 6);
    assert!(
        default["message"].as_str().unwrap().ends_with(
            "set by the subchart's default hostPID (web/charts/db-0.1.0.tgz/values.yaml:2): override it as db.hostPID in the parent chart's values"
        ),
        "{default}"
    );
    assert_eq!(default["value"]["parent_key"], "db.hostPID");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .ends_with("set by the chart value db.privileged (web/values.yaml:2): change it there"),
        "{f}"
    );
}

/// A chart that renders no object (its one template behind a value that is off) is
/// listed as judging nothing beside a chart that renders some, in a folder walk; named
/// as a PATH of its own, it is an error that says it rendered nothing.
#[test]
fn a_chart_that_renders_nothing_is_never_silent() {
    if !tools() {
        return;
    }
    let dir = tree(&[
        ("all/off/Chart.yaml", "apiVersion: v2\nname: off\nversion: 0.1.0\n"),
        ("all/off/templates/cm.yaml", "{{- if .Values.on }}\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n{{- end }}\n"),
        ("all/on/Chart.yaml", "apiVersion: v2\nname: on\nversion: 0.1.0\n"),
        ("all/on/templates/pod.yaml", PRIVILEGED_POD),
    ]);
    let doc = json(&run(dir.path(), &["scan", "all", "-f", "json"], None));
    let listed = doc["summary"]["not_judged"].to_string() + &doc.to_string();
    assert!(
        listed.contains("all/off (helm template)") && listed.contains("rendered no object"),
        "{doc}"
    );
    let out = run(
        dir.path(),
        &["scan", "all/on", "all/off", "-f", "json"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let errors = errors_of(&json(&out));
    assert!(
        errors
            .iter()
            .any(|e| e.contains("all/off") && e.contains("rendered no object")),
        "{errors:?}"
    );
}

/// A `range` over a map (helm walks its keys in sorted order): the item's value is
/// named by its key, `sidecars.beta.privileged`, at its line.
#[test]
fn a_range_over_a_map_names_the_item_by_its_key() {
    if !tools() {
        return;
    }
    let template = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  {{- range $name, $c := .Values.sidecars }}\n  - name: {{ $name }}\n    image: registry.example.com/x:1\n    securityContext:\n      privileged: {{ $c.privileged }}\n  {{- end }}\n";
    let dir = tree(&[
        (
            "web/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        ),
        (
            "web/values.yaml",
            "sidecars:\n  zeta:\n    privileged: false\n  beta:\n    privileged: true\n",
        ),
        ("web/templates/pod.yaml", template),
    ]);
    let doc = json(&run(
        dir.path(),
        &["scan", "web", "-f", "json", "--select", "KH101"],
        None,
    ));
    let f = &doc["findings"][0];
    assert_eq!(f["container"], "beta", "{doc}");
    assert_eq!(f["value"]["key"], "sidecars.beta.privileged", "{f}");
    assert_eq!(f["value"]["location"]["line"], 5, "{f}");
}

/// A packaged chart (`helm package`'s `.tgz`) named on the command line is rendered as
/// it is, its findings placed in its templates and values inside the archive.
#[test]
fn a_packaged_chart_named_alone_is_rendered() {
    if !tools() {
        return;
    }
    let dir = tree(&[
        ("src/db/Chart.yaml", "apiVersion: v2\nname: db\nversion: 0.1.0\n"),
        ("src/db/values.yaml", "hostPID: true\n"),
        ("src/db/templates/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\nspec:\n  hostPID: {{ .Values.hostPID }}\n  containers:\n  - name: db\n    image: registry.example.com/db:1.0\n"),
    ]);
    let packed = Command::new("helm")
        .args(["package", "src/db", "-d", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(packed.status.success(), "{packed:?}");
    let args = ["scan", "db-0.1.0.tgz", "-f", "json", "--select", "KH102"];
    let out = run(dir.path(), &args, None);
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(1), "{doc}");
    let f = &doc["findings"][0];
    assert_eq!(
        f["location"]["file"], "db-0.1.0.tgz/templates/pod.yaml",
        "{f}"
    );
    assert_eq!(f["location"]["line"], 6);
    assert!(
        f["message"].as_str().unwrap().ends_with(
            "set by the chart value hostPID (db-0.1.0.tgz/values.yaml:1): change it there"
        ),
        "{f}"
    );
}

/// A document of a template inside an `{{ if }}` that did not render made no object:
/// it is not counted when telling which of the template's documents of a kind made
/// one, so a finding of the next is placed on that one's lines.
#[test]
fn a_document_in_a_block_that_did_not_render_is_not_counted() {
    if !tools() {
        return;
    }
    let deploy = "{{- if .Values.canary.enabled }}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: canary\nspec:\n  selector: {matchLabels: {app: c}}\n  template:\n    metadata: {labels: {app: c}}\n    spec:\n      hostPID: true\n      containers:\n        - name: c\n          image: registry.example.com/c:1\n---\n{{- end }}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\nspec:\n  selector: {matchLabels: {app: w}}\n  template:\n    metadata: {labels: {app: w}}\n    spec:\n      hostPID: {{ .Values.worker.hostPID }}\n      containers:\n        - name: w\n          image: registry.example.com/w:1\n";
    let dir = tree(&[
        (
            "md/Chart.yaml",
            "apiVersion: v2\nname: md\nversion: 0.1.0\n",
        ),
        (
            "md/values.yaml",
            "canary:\n  enabled: false\nworker:\n  hostPID: true\n",
        ),
        ("md/templates/deploy.yaml", deploy),
    ]);
    let args = ["scan", "md", "-f", "json", "--select", "KH102"];
    let doc = json(&run(dir.path(), &args, None));
    let f = &doc["findings"][0];
    assert_eq!(
        (&f["location"]["line"], &f["location"]["column"]),
        (&26.into(), &7.into()),
        "{f}"
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .ends_with("set by the chart value worker.hostPID (md/values.yaml:4): change it there"),
        "{f}"
    );
}

/// A value read through `{{ with .Values.X }}` is named as `X.field` (`{{ .hostIPC }}`
/// inside `with .Values.pod` reads `pod.hostIPC`); `$.Values.Y` stays `Y`.
#[test]
fn a_value_read_through_with_is_named() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: df\nspec:\n  automountServiceAccountToken: false\n  {{- with .Values.pod }}\n  hostIPC: {{ .hostIPC }}\n  hostNetwork: {{ $.Values.net }}\n  {{- end }}\n  containers:\n    - name: main\n      image: registry.example.com/m:1\n      {{- with .Values.sec }}\n      securityContext:\n        privileged: {{ .privileged }}\n      {{- end }}\n";
    let dir = tree(&[
        (
            "df/Chart.yaml",
            "apiVersion: v2\nname: df\nversion: 0.1.0\n",
        ),
        (
            "df/values.yaml",
            "sec:\n  privileged: true\npod:\n  hostIPC: true\nnet: true\n",
        ),
        ("df/templates/pod.yaml", pod),
    ]);
    let args = ["scan", "df", "-f", "json", "--select", "KH101,KH102"];
    let doc = json(&run(dir.path(), &args, None));
    let said: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let m = f["message"].as_str().unwrap();
            let value = m
                .split("; ")
                .find(|p| p.starts_with("set by"))
                .unwrap_or("");
            format!(
                "{}:{} {value}",
                f["location"]["line"], f["location"]["column"]
            )
        })
        .collect();
    for want in [
        "8:3 set by the chart value pod.hostIPC (df/values.yaml:4): change it there",
        "9:3 set by the chart value net (df/values.yaml:5): change it there",
        "16:9 set by the chart value sec.privileged (df/values.yaml:2): change it there",
    ] {
        assert!(said.contains(&want.to_string()), "{said:#?}");
    }
}

/// A field a `range` item does not render, written by the template in a `{{ with
/// $c.resources }}` that did not render for it, names that item's value
/// (`sidecars[1].resources`), never a key of the item's first line; a field the
/// template never writes names no value.
#[test]
fn a_field_a_range_item_lacks_names_the_with_that_writes_it() {
    if !tools() {
        return;
    }
    let resources = "      {{- with $c.resources }}\n      resources:\n        {{- toYaml . | nindent 8 }}\n      {{- end }}\n";
    let pod = |with: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: rg\nspec:\n  containers:\n    {{{{- range $i, $c := .Values.sidecars }}}}\n    - name: {{{{ $c.name }}}}\n      image: {{{{ $c.image }}}}\n{with}    {{{{- end }}}}\n")
    };
    let values = "sidecars:\n  - name: a\n    image: registry.example.com/a:1\n    resources:\n      limits: {cpu: 1, memory: 1Gi}\n      requests: {cpu: 1, memory: 1Gi}\n  - name: b\n    image: registry.example.com/b:1\n";
    let (with, without) = (pod(resources), pod(""));
    let dir = tree(&[
        (
            "rg/Chart.yaml",
            "apiVersion: v2\nname: rg\nversion: 0.1.0\n",
        ),
        ("rg/values.yaml", values),
        ("rg/templates/pod.yaml", &with),
        (
            "bare/Chart.yaml",
            "apiVersion: v2\nname: bare\nversion: 0.1.0\n",
        ),
        ("bare/values.yaml", values),
        ("bare/templates/pod.yaml", &without),
    ]);
    let args = [
        "scan",
        "rg",
        "bare",
        "-f",
        "json",
        "--select",
        "KH201,KH202",
    ];
    let doc = json(&run(dir.path(), &args, None));
    let said = messages_of(&doc, "KH201");
    let named: Vec<&String> = said.iter().filter(|m| m.contains("chart value")).collect();
    assert_eq!(named.len(), 1, "{said:#?}");
    assert!(
        named[0].ends_with("comes from the chart value sidecars[1].resources, not set: set it in rg/values.yaml (under line 7)"),
        "{said:#?}"
    );
}

const API_WORKER: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api-worker\n  labels: {app: api}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers:\n        - name: api\n          image: registry.example.com/api:1\n";

/// A strategic-merge patch chosen by a `target:` in the kustomization applies to the
/// objects the target selects (kind, name as a regular expression, label selector),
/// whatever its own `metadata.name` (kustomize's docs write `not-important`): it is
/// the place of the field it sets, and one whose selector does not match is not.
#[test]
fn a_patch_chosen_by_its_target_is_named_whatever_its_own_name() {
    if !tools() {
        return;
    }
    let patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: whatever\nspec:\n  template:\n    spec:\n      hostPID: true\n";
    let dir = tree(&[
        ("base/kustomization.yaml", "resources: [deploy.yaml]\n"),
        ("base/deploy.yaml", API_WORKER),
        (
            "ov/kustomization.yaml",
            "nameSuffix: -v2\nresources: [../base]\npatches:\n  - path: p.yaml\n    target: {kind: Deployment, name: api-worker}\n",
        ),
        ("ov/p.yaml", patch),
        (
            "sel/kustomization.yaml",
            "resources: [../base]\npatches:\n  - path: p.yaml\n    target: {labelSelector: \"app in (api, web)\"}\n  - path: other.yaml\n    target: {labelSelector: app=other}\n",
        ),
        ("sel/p.yaml", patch),
        ("sel/other.yaml", patch),
    ]);
    let args = ["scan", "ov", "sel", "-f", "json", "--select", "KH102"];
    let doc = json(&run(dir.path(), &args, None));
    let said = placed_messages(&doc);
    assert_eq!(said, [
        "ov/p.yaml:8 pod sets hostPID: true; set by the patch ov/p.yaml:8 (base: base/deploy.yaml:10)",
        "sel/p.yaml:8 pod sets hostPID: true; set by the patch sel/p.yaml:8 (base: base/deploy.yaml:10)",
    ]);
}

/// A container a JSON 6902 `add` appends (`/containers/-`) or inserts
/// (`/containers/0`) is placed at that operation, `added by the patch`, not at the
/// base's `containers:` line; a later operation on the base's container, whose index
/// the insert moved, still names the base.
#[test]
fn a_container_a_json_patch_adds_is_placed_at_the_operation() {
    if !tools() {
        return;
    }
    let kustomization = "resources: [../base]\npatches:\n  - path: ops.yaml\n    target: {kind: Deployment, name: api-worker}\n";
    let append = "- op: add\n  path: /spec/template/spec/containers/-\n  value:\n    name: added\n    image: registry.example.com/added:1\n    securityContext:\n      privileged: true\n";
    let insert = "- op: add\n  path: /spec/template/spec/containers/0\n  value:\n    name: first\n    image: registry.example.com/first:1\n    securityContext: {privileged: true}\n- op: add\n  path: /spec/template/spec/containers/1/securityContext\n  value: {privileged: true}\n";
    let dir = tree(&[
        ("base/kustomization.yaml", "resources: [deploy.yaml]\n"),
        ("base/deploy.yaml", API_WORKER),
        ("append/kustomization.yaml", kustomization),
        ("append/ops.yaml", append),
        ("insert/kustomization.yaml", kustomization),
        ("insert/ops.yaml", insert),
    ]);
    let args = [
        "scan", "append", "insert", "-f", "json", "--select", "KH101",
    ];
    let doc = json(&run(dir.path(), &args, None));
    let mut said: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let at = &f["location"];
            format!(
                "{}:{} {}",
                at["file"].as_str().unwrap(),
                at["line"],
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    said.sort();
    assert_eq!(said, [
        "append/ops.yaml:1 container \"added\" runs privileged; added by the patch append/ops.yaml:1 (base: base/deploy.yaml:11)",
        "insert/ops.yaml:1 container \"first\" runs privileged; added by the patch insert/ops.yaml:1 (base: base/deploy.yaml:11)",
        "insert/ops.yaml:9 container \"api\" runs privileged; set by the patch insert/ops.yaml:9 (base: base/deploy.yaml:12)",
    ]);
}

/// A `--set` of a key under a value the template tests (`{{ if .Values.securityContext
/// }}`, `{{ with .Values.securityContext }}`, empty in values.yaml) fills it: the
/// branch that rendered is the place, and the value named is the `--set` key, not
/// the `else` branch's default.
#[test]
fn a_set_under_an_empty_value_takes_the_branch_that_tests_it() {
    if !tools() {
        return;
    }
    let head = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: sc\nspec:\n  containers:\n    - name: main\n      image: registry.example.com/m:1\n";
    let branches = format!("{head}      {{{{- if .Values.securityContext }}}}\n      securityContext:\n        runAsUser: {{{{ .Values.securityContext.runAsUser }}}}\n      {{{{- else }}}}\n      securityContext:\n        runAsUser: {{{{ .Values.defaultSecurityContext.runAsUser }}}}\n      {{{{- end }}}}\n");
    let with = format!("{head}      {{{{- with .Values.securityContext }}}}\n      securityContext:\n        {{{{- toYaml . | nindent 8 }}}}\n      {{{{- end }}}}\n");
    let dir = tree(&[
        (
            "ifelse/Chart.yaml",
            "apiVersion: v2\nname: ifelse\nversion: 0.1.0\n",
        ),
        (
            "ifelse/values.yaml",
            "securityContext: {}\ndefaultSecurityContext:\n  runAsUser: 1000\n",
        ),
        ("ifelse/templates/pod.yaml", &branches),
        (
            "with/Chart.yaml",
            "apiVersion: v2\nname: with\nversion: 0.1.0\n",
        ),
        ("with/values.yaml", "securityContext: {}\n"),
        ("with/templates/pod.yaml", &with),
    ]);
    let args = [
        "scan",
        "ifelse",
        "with",
        "--set",
        "securityContext.runAsUser=0",
        "-f",
        "json",
        "--select",
        "KH123",
    ];
    let doc = json(&run(dir.path(), &args, None));
    let said = placed_messages(&doc);
    assert_eq!(said, [
        "ifelse/templates/pod.yaml:11 container \"main\" sets runAsUser: 0; set by the chart value securityContext.runAsUser (--set securityContext.runAsUser): change it there",
        "with/templates/pod.yaml:11 container \"main\" sets runAsUser: 0; set by the chart value securityContext.runAsUser (--set securityContext.runAsUser): change it there",
    ]);
}

/// `helm create`'s container securityContext (`{{- with .Values.securityContext }}`
/// with `securityContext: {}`) did not render: a finding under it is placed at the
/// `toYaml` line and names the key to set. Bitnami's `if .enabled` says which
/// condition is false, naming no key that would not render alone, and values passed
/// to a helper are named as the line reads them, never with the field's path
/// appended (no invented `global.privileged`).
#[test]
fn a_container_security_context_written_by_a_block_or_a_helper_is_placed_and_named() {
    if !tools() {
        return;
    }
    let head = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: sc\nspec:\n  containers:\n    - name: main\n      image: registry.example.com/m:1\n";
    let with = format!("{head}      {{{{- with .Values.securityContext }}}}\n      securityContext:\n        {{{{- toYaml . | nindent 8 }}}}\n      {{{{- end }}}}\n");
    let bitnami = format!("{head}      {{{{- if .Values.containerSecurityContext.enabled }}}}\n      securityContext: {{{{- omit .Values.containerSecurityContext \"enabled\" | toYaml | nindent 8 }}}}\n      {{{{- end }}}}\n");
    let helper = format!("{head}      securityContext: {{{{- include \"hp.sc\" (dict \"sc\" .Values.containerSecurityContext \"g\" .Values.global) | nindent 8 }}}}\n");
    let define = "{{- define \"hp.sc\" -}}\n{{- merge .sc (.g.defaults | default dict) | toYaml }}\n{{- end }}\n";
    let chart = |name: &str| format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n");
    let dir = tree(&[
        ("with/Chart.yaml", &chart("with")),
        ("with/values.yaml", "image: {}\nsecurityContext: {}\n"),
        ("with/templates/pod.yaml", &with),
        ("bn/Chart.yaml", &chart("bn")),
        (
            "bn/values.yaml",
            "containerSecurityContext:\n  enabled: false\n  allowPrivilegeEscalation: false\n",
        ),
        ("bn/templates/pod.yaml", &bitnami),
        ("hp/Chart.yaml", &chart("hp")),
        (
            "hp/values.yaml",
            "containerSecurityContext:\n  runAsUser: 1000\nglobal:\n  defaults:\n    runAsGroup: 1000\n",
        ),
        ("hp/templates/pod.yaml", &helper),
        ("hp/templates/_sc.tpl", define),
    ]);
    let args = [
        "scan", "with", "bn", "hp", "-f", "json", "--select", "KH121",
    ];
    let doc = json(&run(dir.path(), &args, None));
    let said = placed_messages(&doc);
    assert_eq!(said, [
        "bn/templates/pod.yaml:10 container \"main\" does not set allowPrivilegeEscalation: false; the template writes it at line 10 (securityContext: {{- omit .Values.containerSecurityContext \"enabled\" | toYaml | nindent 8 }}), in a block that did not render: {{ if .Values.containerSecurityContext.enabled }} at line 9 is false; it reads containerSecurityContext.enabled at bn/values.yaml:2",
        "hp/templates/pod.yaml:9 container \"main\" does not set allowPrivilegeEscalation: false; written by the template, not taken whole from a chart value (it reads containerSecurityContext at hp/values.yaml:1, global at hp/values.yaml:3): change the template line, or those values",
        "with/templates/pod.yaml:11 container \"main\" does not set allowPrivilegeEscalation: false; the template writes it at line 10 (securityContext:), in a block that did not render: {{ with .Values.securityContext }} at line 9 is false; it reads securityContext at with/values.yaml:2; comes from the chart value securityContext.allowPrivilegeEscalation, not set: set it in with/values.yaml (under line 2)",
    ]);
}

/// KH402 on a pod that sets no automount is decided by its ServiceAccount's field
/// (`helm create`'s `automountServiceAccountToken: {{ .Values.serviceAccount.automount
/// }}`): the finding names that template line and the value to change.
#[test]
fn a_token_automount_finding_names_the_service_accounts_line_and_value() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  serviceAccountName: app\n  containers:\n    - name: main\n      image: registry.example.com/m:1\n";
    let account = "{{- if .Values.serviceAccount.create -}}\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\nautomountServiceAccountToken: {{ .Values.serviceAccount.automount }}\n{{- end }}\n";
    let dir = tree(&[
        (
            "sa/Chart.yaml",
            "apiVersion: v2\nname: sa\nversion: 0.1.0\n",
        ),
        (
            "sa/values.yaml",
            "serviceAccount:\n  create: true\n  automount: true\n",
        ),
        ("sa/templates/pod.yaml", pod),
        ("sa/templates/serviceaccount.yaml", account),
    ]);
    let args = ["scan", "sa", "-f", "json", "--select", "KH402"];
    let doc = json(&run(dir.path(), &args, None));
    let said = messages_of(&doc, "KH402");
    assert_eq!(said, [
        "pod mounts the token of service account \"app\": neither the pod nor the account disables automount; the ServiceAccount \"app\" is written at sa/templates/serviceaccount.yaml:6; set by the chart value serviceAccount.automount (sa/values.yaml:3): change it there",
    ]);
    let value = &doc["findings"][0]["value"];
    assert_eq!(value["key"], "serviceAccount.automount", "{value}");
}

/// Fields written by named templates: a chart's own `_helpers.tpl` define called
/// with the root context (its line and its `.Values` key are named), and a packed
/// library subchart's helpers shaped like Bitnami's common chart (a define that
/// prints a value it is given in a `dict`: the calling line writes that value, for a
/// container's securityContext and for sidecars).
#[test]
fn fields_a_named_template_writes_are_placed_in_it_and_name_the_value() {
    if !tools() {
        return;
    }
    let helpers = "{{- define \"app.name\" -}}\n{{ .Chart.Name }}\n{{- end }}\n\n{{- define \"app.podSecurity\" -}}\nsecurityContext:\n  {{- toYaml .Values.podSecurity | nindent 2 }}\n{{- end }}\n\n{{- define \"app.probe\" -}}\nhostNetwork: {{ .Values.hostNetwork }}\n{{- end }}\n";
    let common = "{{- define \"lib.render\" -}}\n{{- $text := typeIs \"string\" .value | ternary .value (.value | toYaml) }}\n{{- tpl $text .context }}\n{{- end -}}\n\n{{- define \"lib.securityContext\" -}}\n{{- omit .secContext \"enabled\" | toYaml }}\n{{- end -}}\n";
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"app.name\" . }}\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      {{- include \"app.podSecurity\" . | nindent 6 }}\n      {{- include \"app.probe\" . | nindent 6 }}\n      containers:\n        - name: web\n          image: registry.example.com/web@sha256:0000000000000000000000000000000000000000000000000000000000000000\n          {{- if .Values.containerSecurityContext.enabled }}\n          securityContext: {{- include \"lib.securityContext\" (dict \"secContext\" .Values.containerSecurityContext \"context\" $) | nindent 12 }}\n          {{- end }}\n        {{- if .Values.sidecars }}\n        {{- include \"lib.render\" (dict \"value\" .Values.sidecars \"context\" $) | nindent 8 }}\n        {{- end }}\n";
    let values = "podSecurity:\n  runAsUser: 0\nhostNetwork: true\ncontainerSecurityContext:\n  enabled: true\n  privileged: true\nsidecars:\n  - name: shell\n    image: registry.example.com/sh@sha256:0000000000000000000000000000000000000000000000000000000000000000\n    securityContext:\n      privileged: true\n";
    let dir = tree(&[
        ("src/lib/Chart.yaml", "apiVersion: v2\nname: lib\nversion: 1.0.0\ntype: library\n"),
        ("src/lib/templates/_render.tpl", common),
        ("web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n- name: lib\n  version: 1.0.0\n"),
        ("web/values.yaml", values),
        ("web/templates/_helpers.tpl", helpers),
        ("web/templates/deployment.yaml", deployment),
    ]);
    let packed = Command::new("helm")
        .args(["package", "src/lib", "-d", "web/charts"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(packed.status.success(), "{packed:?}");
    std::fs::remove_dir_all(dir.path().join("src")).unwrap();
    let args = ["scan", "web", "-f", "json", "--select", "KH101,KH102,KH123"];
    let doc = json(&run(dir.path(), &args, None));
    let said = placed_messages(&doc);
    assert_eq!(said, [
        "web/templates/_helpers.tpl:7 pod sets runAsUser: 0; set by the chart value podSecurity.runAsUser (web/values.yaml:2): change it there",
        "web/templates/_helpers.tpl:11 pod sets hostNetwork: true; set by the chart value hostNetwork (web/values.yaml:3): change it there",
        "web/templates/deployment.yaml:18 container \"web\" runs privileged; set by the chart value containerSecurityContext.privileged (web/values.yaml:6): change it there",
        "web/templates/deployment.yaml:21 container \"shell\" runs privileged; set by the chart value sidecars[0].securityContext.privileged (web/values.yaml:11): change it there",
    ]);
    // Placed in a helper or not, each came from the deployment's template.
    for f in doc["findings"].as_array().unwrap() {
        assert_eq!(f["helm_source"], "web/templates/deployment.yaml", "{f}");
    }
}

/// `helm create`'s resources block (`{{- with .Values.resources }}` over `resources:
/// {}`): the one merged finding for a container without resources names the value
/// to fill in, as the finding for limits alone does.
#[test]
fn a_missing_resources_block_names_the_value_that_fills_it() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: main\n      image: registry.example.com/m:1\n      {{- with .Values.resources }}\n      resources:\n        {{- toYaml . | nindent 8 }}\n      {{- end }}\n";
    let dir = tree(&[
        (
            "rs/Chart.yaml",
            "apiVersion: v2\nname: rs\nversion: 0.1.0\n",
        ),
        (
            "rs/values.yaml",
            "image: {}\n# limits and requests\nresources: {}\n",
        ),
        ("rs/templates/pod.yaml", pod),
    ]);
    for select in ["KH201,KH202", "KH201"] {
        let args = ["scan", "rs", "-f", "json", "--select", select];
        let doc = json(&run(dir.path(), &args, None));
        let f = &doc["findings"][0];
        assert_eq!(
            f["location"]["file"], "rs/templates/pod.yaml",
            "{select}: {f}"
        );
        let key = f["value"]["key"].as_str().unwrap_or_default();
        assert!(
            key == "resources" || key == "resources.limits",
            "{select}: {f}"
        );
        assert_eq!(f["value"]["location"]["line"], 3, "{select}: {f}");
    }
}

/// A template that renders invalid YAML: helm's `yaml: line N` counts lines of what
/// it rendered, so the error quotes that line, and is placed at the template line
/// that writes it where one does as written.
#[test]
fn invalid_yaml_a_template_renders_is_quoted_and_placed() {
    if !tools() {
        return;
    }
    let literal = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  {{- if .Values.enabled }}\n  a: b: c\n  {{- end }}\n";
    let templated = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  a: {{ .Values.enabled }}: c\n";
    let dir = tree(&[
        (
            "lit/Chart.yaml",
            "apiVersion: v2\nname: lit\nversion: 0.1.0\n",
        ),
        ("lit/values.yaml", "enabled: true\n"),
        ("lit/templates/cm.yaml", literal),
        (
            "tpl/Chart.yaml",
            "apiVersion: v2\nname: tpl\nversion: 0.1.0\n",
        ),
        ("tpl/values.yaml", "enabled: 1\n"),
        ("tpl/templates/cm.yaml", templated),
    ]);
    let out = run(dir.path(), &["scan", "lit", "tpl", "-f", "json"], None);
    assert_eq!(out.status.code(), Some(2));
    let doc = json(&out);
    let errors = errors_of(&doc);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].ends_with("yaml: line 6: mapping values are not allowed in this context (that line of what the template rendered is \"a: b: c\")"),
        "{errors:?}"
    );
    assert_eq!(
        (&doc["errors"][0]["line"], &doc["errors"][0]["column"]),
        (&Value::from(7), &Value::from(3))
    );
    // A templated line is quoted as rendered; no line of the file is it.
    assert!(
        errors[1].contains("(that line of what the template rendered is \"a: 1: c\")"),
        "{errors:?}"
    );
    assert_eq!(
        doc["errors"][1]["line"],
        Value::Null,
        "{}",
        doc["errors"][1]
    );

    // Written by a named template the template calls: placed at the helper's line.
    let dir = tree(&[
        ("hl/Chart.yaml", "apiVersion: v2\nname: hl\nversion: 0.1.0\n"),
        ("hl/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  {{- include \"hl.data\" . | nindent 2 }}\n"),
        ("hl/templates/_helpers.tpl", "{{- define \"hl.data\" -}}\nok: yes\nbad: [x\n{{- end -}}\n"),
    ]);
    let doc = json(&run(dir.path(), &["scan", "hl", "-f", "json"], None));
    let error = &doc["errors"][0];
    assert_eq!(error["file"], "hl/templates/_helpers.tpl", "{error}");
    assert_eq!(error["line"], 3, "{error}");
}

/// Shapes from a retrial: a `toYaml` of a values list between a literal container and
/// a `range` (the range writes as many items as its list, not one; the `with` on the
/// toYaml's own line); helpers whose body only prints a value (`toYaml
/// .Values.securityContext` called with `.`, `toYaml .` called with a value); and a
/// field the container lacks is never blamed on a helper called inside another key.
#[test]
fn list_items_and_printing_helpers_name_the_value_that_controls_them() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  automountServiceAccountToken: false\n  containers:\n    - name: main\n      image: r.io/m:1\n      securityContext:\n        {{- include \"sh.sc\" . | nindent 8 }}\n    {{- with .Values.extra }}{{ toYaml . | nindent 4 }}{{ end }}\n    {{- range .Values.sidecars }}\n    - name: {{ .name }}\n      image: r.io/s:1\n      securityContext:\n        privileged: {{ .privileged }}\n    {{- end }}\n    - name: w\n      image: r.io/w:1\n      securityContext:\n        {{- include \"sh.wsc\" .Values.worker | nindent 8 }}\n";
    let helpers = "{{- define \"sh.sc\" -}}\n{{- toYaml .Values.securityContext }}\n{{- end -}}\n{{- define \"sh.wsc\" -}}\n{{- toYaml . }}\n{{- end -}}\n";
    let values = "securityContext:\n  runAsNonRoot: false\nextra:\n  - name: reloader\n    image: r.io/r:1\n    securityContext: {privileged: true}\nsidecars:\n  - {name: a, privileged: false}\n  - {name: b, privileged: true}\nworker:\n  runAsUser: 0\n";
    let dir = tree(&[
        (
            "sh/Chart.yaml",
            "apiVersion: v2\nname: sh\nversion: 0.1.0\n",
        ),
        ("sh/values.yaml", values),
        ("sh/templates/pod.yaml", pod),
        ("sh/templates/_helpers.tpl", helpers),
    ]);
    let args = [
        "scan",
        "sh",
        "-f",
        "json",
        "--select",
        "KH101,KH122,KH123,KH201,KH202",
    ];
    let doc = json(&run(dir.path(), &args, None));
    let value_of = |rule: &str, container: &str| {
        let all = doc["findings"].as_array().unwrap();
        let f = all
            .iter()
            .find(|f| f["rule_id"] == rule && f["container"] == container)
            .unwrap_or_else(|| panic!("no {rule} {container}: {doc}"));
        let at = format!(
            "{}:{}",
            f["location"]["file"].as_str().unwrap(),
            f["location"]["line"]
        );
        (at, f["value"]["key"].as_str().unwrap_or("").to_string())
    };
    let pair = |at: &str, key: &str| (at.to_string(), key.to_string());
    assert_eq!(
        value_of("KH122", "main"),
        pair("sh/templates/pod.yaml:11", "securityContext.runAsNonRoot")
    );
    assert_eq!(
        value_of("KH101", "reloader"),
        pair(
            "sh/templates/pod.yaml:12",
            "extra[0].securityContext.privileged"
        )
    );
    assert_eq!(
        value_of("KH101", "b"),
        pair("sh/templates/pod.yaml:17", "sidecars[1].privileged")
    );
    assert_eq!(
        value_of("KH123", "w"),
        pair("sh/templates/pod.yaml:22", "worker.runAsUser")
    );
    // Resources are the container's, not written by the helper of its securityContext.
    let (_, key) = value_of("KH201", "w");
    assert_eq!(key, "", "{doc}");
}

/// What a chart renders is final: a container left without an image (a `--set` with
/// a list index replaces the whole list) does not make the object a fragment left
/// unjudged; its other containers are judged.
#[test]
fn a_rendered_container_without_an_image_leaves_the_rest_judged() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: main\n      image: r.io/m:1\n      securityContext: {privileged: true}\n    {{- with .Values.extra }}{{ toYaml . | nindent 4 }}{{ end }}\n";
    let dir = tree(&[
        (
            "fr/Chart.yaml",
            "apiVersion: v2\nname: fr\nversion: 0.1.0\n",
        ),
        (
            "fr/values.yaml",
            "extra:\n  - name: x\n    image: r.io/x:1\n",
        ),
        ("fr/templates/pod.yaml", pod),
    ]);
    let args = [
        "scan",
        "fr",
        "-f",
        "json",
        "--select",
        "KH101",
        "--set",
        "extra[0].name=y",
    ];
    let doc = json(&run(dir.path(), &args, None));
    let main = |f: &Value| f["container"] == "main";
    assert_eq!(pick(&doc, main, "rule_id"), ["KH101"], "{doc}");
}

/// A field a named template makes from several values (`image: {{ include "im.image"
/// . }}`, Bitnami's image helpers): the finding lists the values its body reads, through
/// the calls it makes in turn, so the user knows which to change.
#[test]
fn a_field_a_helper_builds_lists_the_values_it_reads() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: main\n      image: {{ include \"im.image\" . }}\n";
    let helpers = "{{- define \"im.image\" -}}\n{{- include \"im.ref\" (dict \"root\" .Values.image \"global\" .Values.global) -}}\n{{- end -}}\n{{- define \"im.ref\" -}}\n{{- printf \"%s/%s:%s\" (.global.registry | default .root.registry) .root.repository .root.tag -}}\n{{- end -}}\n";
    let dir = tree(&[
        (
            "im/Chart.yaml",
            "apiVersion: v2\nname: im\nversion: 0.1.0\n",
        ),
        (
            "im/values.yaml",
            "global: {}\nimage:\n  registry: r.io\n  repository: app\n  tag: \"1.0\"\n",
        ),
        ("im/templates/pod.yaml", pod),
        ("im/templates/_helpers.tpl", helpers),
    ]);
    let doc = json(&run(
        dir.path(),
        &["scan", "im", "-f", "json", "--select", "KH302"],
        None,
    ));
    assert_eq!(
        messages_of(&doc, "KH302"),
        ["container \"main\" uses image \"r.io/app:1.0\" without a digest; written by the template, not taken whole from a chart value (it reads global.registry not set, image.registry at im/values.yaml:3, image.repository at im/values.yaml:4, image.tag at im/values.yaml:5): change the template line, or those values"]
    );
}

/// A named template that only calls another (a wrapper): the call is followed into
/// the inner one, which writes the field, and its value is named.
#[test]
fn a_helper_that_only_calls_another_is_followed() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  automountServiceAccountToken: false\n  {{- include \"w.wrap\" . | nindent 2 }}\n  containers:\n    - name: main\n      image: r.io/m:1\n";
    let helpers = "{{- define \"w.wrap\" -}}\n{{ include \"w.pod\" . }}\n{{- end -}}\n{{- define \"w.pod\" -}}\nhostPID: {{ .Values.pod.hostPID }}\n{{- end -}}\n";
    let dir = tree(&[
        ("w/Chart.yaml", "apiVersion: v2\nname: w\nversion: 0.1.0\n"),
        ("w/values.yaml", "pod:\n  hostPID: true\n"),
        ("w/templates/pod.yaml", pod),
        ("w/templates/_helpers.tpl", helpers),
    ]);
    let doc = json(&run(
        dir.path(),
        &["scan", "w", "-f", "json", "--select", "KH102"],
        None,
    ));
    assert_eq!(
        placed_messages(&doc),
        ["w/templates/_helpers.tpl:5 pod sets hostPID: true; set by the chart value pod.hostPID (w/values.yaml:2): change it there"]
    );
}

/// A named template called with `.` inside a `range` or a `with`: `.` is the item or
/// the value, and the field's value is named through it.
#[test]
fn a_helper_called_in_a_range_or_with_names_the_items_value() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  automountServiceAccountToken: false\n  containers:\n    {{- range .Values.workers }}\n    - name: {{ .name }}\n      image: r.io/w:1\n      securityContext:\n        {{- include \"rw.sc\" . | nindent 8 }}\n    {{- end }}\n    {{- with .Values.main }}\n    - name: main\n      image: r.io/m:1\n      securityContext:\n        {{- include \"rw.sc\" . | nindent 8 }}\n    {{- end }}\n";
    let helpers = "{{- define \"rw.sc\" -}}\nprivileged: {{ .privileged }}\n{{- end -}}\n";
    let values = "workers:\n  - {name: a, privileged: false}\n  - {name: b, privileged: true}\nmain:\n  privileged: true\n";
    let dir = tree(&[
        (
            "rw/Chart.yaml",
            "apiVersion: v2\nname: rw\nversion: 0.1.0\n",
        ),
        ("rw/values.yaml", values),
        ("rw/templates/pod.yaml", pod),
        ("rw/templates/_helpers.tpl", helpers),
    ]);
    let doc = json(&run(
        dir.path(),
        &["scan", "rw", "-f", "json", "--select", "KH101"],
        None,
    ));
    let keys: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let container = f["container"].as_str().unwrap().to_string();
            (
                container,
                f["value"]["key"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("b".to_string(), "workers[1].privileged".to_string()),
            ("main".to_string(), "main.privileged".to_string())
        ],
        "{doc}"
    );
}

/// `tpl` of a chart value prints it, expanded: `tpl (toYaml .Values.sc) .` names the
/// key under the block as `toYaml` does, and `tpl .Values.side .` of a string of
/// YAML names that string's key, whether the field is in it or missing from it. A
/// `tpl` of something else is a helper whose reading is listed.
#[test]
fn a_value_printed_through_tpl_is_named() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  automountServiceAccountToken: false\n  containers:\n    - name: app\n      image: r.io/a:1\n      securityContext: {{- tpl (toYaml .Values.appSecurity) . | nindent 8 }}\n    - name: side\n      image: r.io/s:1\n      securityContext: {{- tpl .Values.sideSecurity . | nindent 8 }}\n";
    let values = "appSecurity:\n  runAsNonRoot: true\n  privileged: true\nsideSecurity: |\n  runAsNonRoot: true\n  allowPrivilegeEscalation: true\n";
    let dir = tree(&[
        (
            "tp/Chart.yaml",
            "apiVersion: v2\nname: tp\nversion: 0.1.0\n",
        ),
        ("tp/values.yaml", values),
        ("tp/templates/pod.yaml", pod),
    ]);
    let args = [
        "scan",
        "tp",
        "-f",
        "json",
        "--select",
        "KH101,KH121,KH124",
        "--no-merge",
    ];
    let doc = json(&run(dir.path(), &args, None));
    let keys: Vec<(String, String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |v: &Value| v.as_str().unwrap_or("").to_string();
            let line = f["value"]["location"]["line"].to_string();
            (
                text(&f["container"]),
                text(&f["value"]["key"]),
                format!("{}:{line}", text(&f["rule_id"])),
            )
        })
        .collect();
    let expected = [
        ("app", "appSecurity.privileged", "KH101:3"),
        ("app", "appSecurity.allowPrivilegeEscalation", "KH121:1"),
        ("app", "appSecurity.seccompProfile.type", "KH124:1"),
        ("side", "sideSecurity", "KH121:4"),
        ("side", "sideSecurity", "KH124:4"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(c, k, r)| (c.to_string(), k.to_string(), r.to_string()))
        .collect();
    let (mut keys, mut expected) = (keys, expected);
    keys.sort();
    expected.sort();
    assert_eq!(keys, expected, "{doc}");
    let side = messages_of(&doc, "KH121");
    assert!(
        side.iter().any(|m| m
            .ends_with("set by the chart value sideSecurity (tp/values.yaml:4): change it there")),
        "{side:?}"
    );
}

/// The text report of two overlays of one base: each overlay's object is one block
/// under the base file (not alternating line by line), the closing line counts the
/// objects once and says what was rendered, and a chart's `--values-set` variants
/// that state the same problem are one entry naming the other variant.
#[test]
fn text_groups_each_rendered_object_and_counts_what_was_rendered() {
    if !tools() {
        return;
    }
    let base = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: r.io/web:1\n";
    let overlay = |ns: &str| format!("resources: [../../base]\nnamespace: {ns}\n");
    let dir = tree(&[
        ("kz/base/kustomization.yaml", "resources: [deploy.yaml]\n"),
        ("kz/base/deploy.yaml", base),
        ("kz/overlays/dev/kustomization.yaml", &overlay("dev")),
        ("kz/overlays/prod/kustomization.yaml", &overlay("prod")),
    ]);
    let out = run(dir.path(), &["scan", "kz/overlays", "--no-config"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    let headers: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  Deployment "))
        .collect();
    assert_eq!(
        headers,
        ["  Deployment dev/web", "  Deployment prod/web"],
        "{text}"
    );
    let closing = text.lines().rfind(|l| l.contains(" findings ")).unwrap();
    assert!(
        closing.contains(" in 2 objects, 1 file; scanned 2 objects from 2 rendered overlays,"),
        "{closing}"
    );

    let chart = "apiVersion: v2\nname: web\nversion: 0.1.0\n";
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: {{ .Values.image }}\n";
    let dir = tree(&[
        ("web/Chart.yaml", chart),
        ("web/values.yaml", "image: r.io/a:1\n"),
        ("web/templates/pod.yaml", pod),
        ("a.yaml", "image: r.io/a:1\n"),
        ("b.yaml", "image: r.io/b:1\n"),
    ]);
    let args = [
        "scan",
        "web",
        "--values-set",
        "a=a.yaml",
        "--values-set",
        "b=b.yaml",
        "--no-config",
        "--select",
        "KH121,KH302",
    ];
    let text = String::from_utf8_lossy(&run(dir.path(), &args, None).stdout).into_owned();
    let entries: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" KH121  Container"))
        .collect();
    assert_eq!(entries.len(), 1, "{text}");
    assert!(entries[0].ends_with("[values-set a]"), "{text}");
    assert!(
        text.contains("the same in web/templates/pod.yaml:7:3 [values-set b]"),
        "{text}"
    );
    // Different images: each variant's own KH302.
    assert_eq!(
        text.lines().filter(|l| l.contains(" KH302  Image")).count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("from 1 rendered chart (2 renders of --values-set variants)"),
        "{text}"
    );
}

/// A field the template writes as it is, rendered because `if`s on chart values hold,
/// names those conditions and values (what turns it off); an `else` branch names none.
#[test]
fn a_literal_a_condition_turns_on_names_the_condition() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  automountServiceAccountToken: false\n  containers:\n    - name: c\n      image: r.io/c:1\n      securityContext:\n        {{- if .Values.debug }}\n        {{- if .Values.deep }}\n        privileged: true\n        {{- end }}\n        {{- else }}\n        allowPrivilegeEscalation: true\n        {{- end }}\n";
    let dir = tree(&[
        (
            "sw/Chart.yaml",
            "apiVersion: v2\nname: sw\nversion: 0.1.0\n",
        ),
        ("sw/values.yaml", "debug: false\ndeep: true\n"),
        ("sw/templates/pod.yaml", pod),
    ]);
    let scan = |set: &str| {
        let args = [
            "scan",
            "sw",
            "-f",
            "json",
            "--select",
            "KH101,KH121",
            "--no-merge",
            "--set",
            set,
        ];
        json(&run(dir.path(), &args, None))
    };
    let on = scan("debug=true");
    let said = messages_of(&on, "KH101");
    assert_eq!(said, ["container \"c\" runs privileged; written because {{ if .Values.deep }} at line 12 and {{ if .Values.debug }} at line 11 hold (it reads deep at sw/values.yaml:2, debug at --set debug): change those values to leave it out"], "{on}");
    let off = scan("debug=false");
    let said = messages_of(&off, "KH121");
    assert_eq!(
        said,
        ["container \"c\" sets allowPrivilegeEscalation: true"],
        "{off}"
    );
}

/// An error in a rendered object's field points at the template or the patch that
/// wrote the field, as its findings do, and says where the render put it.
#[test]
fn errors_in_rendered_fields_point_at_their_source() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - image: r.io/c:1\n";
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers:\n      - name: api\n        image: r.io/api:1\n";
    let patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        securityContext:\n          privileged: \"yes\"\n";
    let dir = tree(&[
        (
            "ch/Chart.yaml",
            "apiVersion: v2\nname: ch\nversion: 0.1.0\n",
        ),
        ("ch/templates/pod.yaml", pod),
        (
            "kz/kustomization.yaml",
            "resources: [deploy.yaml]\npatches:\n- path: p.yaml\n",
        ),
        ("kz/deploy.yaml", deploy),
        ("kz/p.yaml", patch),
    ]);
    let doc = json(&run(
        dir.path(),
        &["scan", "ch", "kz", "-f", "json", "--no-config"],
        None,
    ));
    let errors: Vec<String> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{} {}",
                e["file"].as_str().unwrap(),
                e["line"],
                e["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        errors.iter().any(|e| e.starts_with(
            "ch/templates/pod.yaml:7 Pod p: spec.containers[0].name: a container needs a name"
        ) && e.ends_with("(rendered at ch (helm template):9:7)")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.starts_with("kz/p.yaml:11 Deployment api: spec.template.spec.containers[0].securityContext.privileged: expected a boolean")
            && e.contains("set by the patch kz/p.yaml:11")),
        "{errors:?}"
    );
}

/// The trial's template of three Deployments, `first` in a block whose
/// `.Capabilities` condition cannot be judged from the values (helm did not render
/// it): each object is placed in the document that writes its name, whatever the
/// order of the documents of its kind.
#[test]
fn an_object_is_placed_in_the_document_that_writes_its_name() {
    if !tools() {
        return;
    }
    let deployment = |name: &str, host: &str| {
        format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  selector: {{matchLabels: {{a: {name}}}}}\n  template:\n    metadata: {{labels: {{a: {name}}}}}\n    spec:\n      automountServiceAccountToken: false\n{host}      containers:\n        - name: main\n          image: reg.io/a@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n")
    };
    let multi = format!(
        "{{{{- if .Capabilities.APIVersions.Has \"example.com/v1\" }}}}\n{}---\n{{{{- end }}}}\n{}---\n{}",
        deployment("first", ""),
        deployment("second", "      hostIPC: true\n"),
        deployment("third", "      hostPID: true\n"),
    );
    let dir = tree(&[
        (
            "caps/Chart.yaml",
            "apiVersion: v2\nname: caps\nversion: 0.1.0\n",
        ),
        ("caps/values.yaml", "x: 1\n"),
        ("caps/templates/multi.yaml", &multi),
    ]);
    let args = ["scan", "caps", "-f", "json", "--select", "KH102,KH121"];
    let doc = json(&run(dir.path(), &args, None));
    let mut places: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {}:{}:{}",
                f["resource"]["name"].as_str().unwrap_or_default(),
                f["rule_id"].as_str().unwrap(),
                f["location"]["file"].as_str().unwrap(),
                f["location"]["line"],
                f["location"]["column"]
            )
        })
        .collect();
    places.sort();
    assert_eq!(
        places,
        [
            "second KH102 caps/templates/multi.yaml:27:7",
            "second KH121 caps/templates/multi.yaml:29:9",
            "third KH102 caps/templates/multi.yaml:42:7",
            "third KH121 caps/templates/multi.yaml:44:9",
        ],
        "{doc}"
    );
}

/// The prometheus chart's sidecars: `range $name, $spec` over a map, each item's
/// keys written by `{{- toYaml $spec | nindent 10 }}` (or, for a string of YAML, by
/// `tpl $spec $` in the other branch of `if kindIs "string" $spec`). The finding is
/// on the line that wrote the item's keys, and names the key under the map's item
/// (helm walks a map's keys in sorted order); a list's `range $i, $c` with `toYaml
/// $c` the same way.
#[test]
fn a_to_yaml_of_a_range_variable_names_the_items_value() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  automountServiceAccountToken: false\n  containers:\n    - name: main\n      image: r.io/m:1\n    {{- if .Values.sidecars }}\n    {{- range $name, $spec := .Values.sidecars }}\n    - name: {{ $name }}\n      {{- if kindIs \"string\" $spec }}\n        {{- tpl $spec $ | nindent 6 }}\n      {{- else }}\n        {{- toYaml $spec | nindent 6 }}\n      {{- end }}\n    {{- end }}\n    {{- end }}\n";
    let plain = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: q\nspec:\n  automountServiceAccountToken: false\n  containers:\n    - name: main\n      image: r.io/m:1\n    {{- range $i, $c := .Values.extras }}\n    - name: extra-{{ $i }}\n      {{- toYaml $c | nindent 6 }}\n    {{- end }}\n";
    let values = "sidecars: {}\nextras: []\n";
    let bad = "sidecars:\n  zeta:\n    image: r.io/z:1\n    securityContext:\n      privileged: true\n  alpha: |\n    image: r.io/a:1\n    securityContext:\n      privileged: true\nextras:\n  - image: r.io/e:1\n  - image: r.io/f:1\n    securityContext:\n      privileged: true\n";
    let dir = tree(&[
        (
            "sc/Chart.yaml",
            "apiVersion: v2\nname: sc\nversion: 0.1.0\n",
        ),
        ("sc/values.yaml", values),
        ("sc/bad.yaml", bad),
        ("sc/templates/pod.yaml", pod),
        ("sc/templates/plain.yaml", plain),
    ]);
    let args = [
        "scan",
        "sc",
        "--values",
        "sc/bad.yaml",
        "-f",
        "json",
        "--select",
        "KH101",
    ];
    let doc = json(&run(dir.path(), &args, None));
    let mut found: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}:{} {} {}",
                f["container"].as_str().unwrap_or_default(),
                f["location"]["file"].as_str().unwrap(),
                f["location"]["line"],
                f["value"]["key"].as_str().unwrap_or("-"),
                f["value"]["location"]["line"],
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "alpha sc/templates/pod.yaml:14 sidecars.alpha 6",
            "extra-1 sc/templates/plain.yaml:12 extras[1].securityContext.privileged 14",
            "zeta sc/templates/pod.yaml:16 sidecars.zeta.securityContext.privileged 5",
        ],
        "{doc}"
    );
    let said = messages_of(&doc, "KH101");
    assert!(
        said.iter().any(|m| m.ends_with("for item 1 of what it loops over; set by the chart value sidecars.zeta.securityContext.privileged (sc/bad.yaml:5): change it there")),
        "{said:#?}"
    );
}

/// A capability added back under a condition (ingress-nginx's `- SYS_CHROOT` under
/// `{{ if .Values.controller.image.chroot }}`) is placed on its item, and names the
/// condition that adds it.
#[test]
fn an_added_capability_is_placed_on_its_item() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  automountServiceAccountToken: false\n  containers:\n    - name: c\n      image: r.io/c:1\n      securityContext:\n        capabilities:\n          drop: [ALL]\n          add:\n          - NET_BIND_SERVICE\n          {{- if .Values.chroot }}\n          - SYS_CHROOT\n          {{- end }}\n";
    let dir = tree(&[
        (
            "cp/Chart.yaml",
            "apiVersion: v2\nname: cp\nversion: 0.1.0\n",
        ),
        ("cp/values.yaml", "chroot: true\n"),
        ("cp/templates/pod.yaml", pod),
    ]);
    let doc = json(&run(
        dir.path(),
        &[
            "scan",
            "cp",
            "-f",
            "json",
            "--select",
            "KH125",
            "--no-config",
        ],
        None,
    ));
    let said = placed_messages(&doc);
    assert_eq!(said, ["cp/templates/pod.yaml:16 container \"c\" adds capability SYS_CHROOT; written because {{ if .Values.chroot }} at line 15 holds (it reads chroot at cp/values.yaml:1): change that value to leave it out"], "{doc}");
}

/// A binding's subject bound to cluster-admin (KH601) also names where the role it
/// binds is decided: the chart value, or the patch that sets `roleRef.name`.
#[test]
fn a_binding_finding_names_the_value_or_patch_of_its_role() {
    if !tools() {
        return;
    }
    let binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: crb\nsubjects:\n  - kind: ServiceAccount\n    name: deployer\n    namespace: default\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {{ .Values.rbac.clusterRole }}\n";
    let base = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: api\n  namespace: default\nsubjects:\n- kind: ServiceAccount\n  name: api\n  namespace: default\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\n";
    let patch = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: api\n  namespace: default\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\n";
    let dir = tree(&[
        (
            "rb/Chart.yaml",
            "apiVersion: v2\nname: rb\nversion: 0.1.0\n",
        ),
        ("rb/values.yaml", "rbac:\n  clusterRole: cluster-admin\n"),
        ("rb/templates/rb.yaml", binding),
        ("kz/base/kustomization.yaml", "resources: [rb.yaml]\n"),
        ("kz/base/rb.yaml", base),
        (
            "kz/overlay/kustomization.yaml",
            "resources: [../base]\npatches:\n- path: admin.yaml\n",
        ),
        ("kz/overlay/admin.yaml", patch),
    ]);
    let args = [
        "scan",
        "rb",
        "kz/overlay",
        "-f",
        "json",
        "--select",
        "KH601",
        "--no-config",
    ];
    let doc = json(&run(dir.path(), &args, None));
    let said = messages_of(&doc, "KH601");
    assert!(
        said.iter().any(|m| m.ends_with("the role it binds (roleRef.name) is written at rb/templates/rb.yaml:12; set by the chart value rbac.clusterRole (rb/values.yaml:2): change it there")),
        "{said:#?}"
    );
    assert!(
        said.iter().any(|m| m.contains("the role it binds (roleRef.name) is written at kz/overlay/admin.yaml:9; set by the patch kz/overlay/admin.yaml:9")),
        "{said:#?}"
    );
}

/// Each finding's `path line value-key`, for the findings of `rules`.
fn keys_of(doc: &Value, rules: &[&str]) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| rules.contains(&f["rule_id"].as_str().unwrap()))
        .map(|f| {
            format!(
                "{} {} {}",
                f["path"].as_str().unwrap(),
                f["location"]["line"],
                f["value"]["key"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

/// A template variable that holds a chart value (`$sc := .Values.podSecurityContext`,
/// `$c := .Values.container.sc | default dict`, `$ipc := .hostIPC` inside a `with`)
/// is read as that value where it is used: the finding names its key, as it does for
/// `toYaml .Values.podSecurityContext`.
#[test]
fn a_variable_that_holds_a_value_names_it() {
    if !tools() {
        return;
    }
    let deploy = "{{- $sc := .Values.podSecurityContext }}\n{{- $csc := .Values.container.sc | default dict }}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      securityContext:\n        {{- toYaml $sc | nindent 8 }}\n      {{- with .Values.pod }}\n      {{- $ipc := .hostIPC }}\n      hostIPC: {{ $ipc }}\n      {{- end }}\n      containers:\n        - name: web\n          image: {{ .Values.image }}\n          securityContext:\n            {{- toYaml $csc | nindent 12 }}\n";
    let values = "image: registry.example.com/x:1\npodSecurityContext:\n  runAsNonRoot: false\npod:\n  hostIPC: true\ncontainer:\n  sc:\n    privileged: true\n";
    let dir = tree(&[
        ("v/Chart.yaml", "apiVersion: v2\nname: v\nversion: 0.1.0\n"),
        ("v/values.yaml", values),
        ("v/templates/deploy.yaml", deploy),
    ]);
    let args = ["scan", "v", "-f", "json", "--select", "KH101,KH102,KH122"];
    let doc = json(&run(dir.path(), &args, None));
    let said = keys_of(&doc, &["KH101", "KH102", "KH122"]);
    for want in [
        "spec.template.spec.securityContext.runAsNonRoot 15 podSecurityContext.runAsNonRoot",
        "spec.template.spec.hostIPC 18 pod.hostIPC",
        "spec.template.spec.containers[0].securityContext.privileged 24 container.sc.privileged",
    ] {
        assert!(said.contains(&want.to_string()), "{said:#?}");
    }
}

/// A `range $name, $spec` over a map that makes one Deployment per key: a field a
/// worker does not set is named under that worker's key (`workers.alpha...`, helm
/// walking the keys in sorted order), never by an index (`workers[0]`).
#[test]
fn a_field_unset_under_a_map_ranges_item_names_its_key() {
    if !tools() {
        return;
    }
    let workers = "{{- range $name, $spec := .Values.workers }}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ $name }}\nspec:\n  selector:\n    matchLabels: {app: {{ $name }}}\n  template:\n    metadata:\n      labels: {app: {{ $name }}}\n    spec:\n      containers:\n        - name: main\n          image: {{ $spec.image }}\n          {{- with $spec.securityContext }}\n          securityContext:\n            {{- toYaml . | nindent 12 }}\n          {{- end }}\n{{- end }}\n";
    let values = "workers:\n  zeta:\n    image: registry.example.com/z:1\n    securityContext:\n      runAsNonRoot: true\n  alpha:\n    image: registry.example.com/a:1\n";
    let dir = tree(&[
        ("m/Chart.yaml", "apiVersion: v2\nname: m\nversion: 0.1.0\n"),
        ("m/values.yaml", values),
        ("m/templates/workers.yaml", workers),
    ]);
    let args = ["scan", "m", "-f", "json", "--select", "KH122,KH132"];
    let doc = json(&run(dir.path(), &args, None));
    let said = messages_of(&doc, "KH132");
    for want in [
        "comes from the chart value workers.alpha.securityContext.readOnlyRootFilesystem, not set: set it in m/values.yaml (under line 6)",
        "comes from the chart value workers.zeta.securityContext.readOnlyRootFilesystem, not set: set it in m/values.yaml (under line 4)",
    ] {
        assert!(said.iter().any(|m| m.ends_with(want)), "{said:#?}");
    }
    let alpha = messages_of(&doc, "KH122");
    assert!(
        alpha
            .iter()
            .any(|m| m.contains("workers.alpha.securityContext.runAsNonRoot")),
        "{alpha:#?}"
    );
}

/// A `--set` of a key in a map's item that a `range` walks names the item by its key
/// (`workers.alpha.hostIPC`), as the template reaches it by its index: the flag is
/// the place, not the values file's line it overrode.
#[test]
fn a_set_of_a_map_ranges_item_is_named_as_the_flag() {
    if !tools() {
        return;
    }
    let workers = "{{- range $name, $w := .Values.workers }}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ $name }}\nspec:\n  hostIPC: {{ $w.hostIPC }}\n  containers:\n  - name: c\n    image: registry.example.com/c:1\n{{- end }}\n";
    let values = "workers:\n  beta:\n    hostIPC: true\n  alpha:\n    hostIPC: false\n";
    let dir = tree(&[
        (
            "bn/Chart.yaml",
            "apiVersion: v2\nname: bn\nversion: 0.1.0\n",
        ),
        ("bn/values.yaml", values),
        ("bn/templates/workers.yaml", workers),
    ]);
    let args = [
        "scan",
        "bn",
        "-f",
        "json",
        "--select",
        "KH102",
        "--set",
        "workers.alpha.hostIPC=true",
    ];
    let doc = json(&run(dir.path(), &args, None));
    let said = messages_of(&doc, "KH102");
    for want in [
        "set by the chart value workers.alpha.hostIPC (--set workers.alpha.hostIPC)",
        "set by the chart value workers.beta.hostIPC (bn/values.yaml:3)",
    ] {
        assert!(said.iter().any(|m| m.contains(want)), "{said:#?}");
    }
}

/// Of an `if` on `.Capabilities` (which the values cannot judge) and its `else`, each
/// writing the field, the branch whose text matches what was rendered is the place
/// (`hostNetwork: true`, not `hostNetwork: {{ .Values.net }}` with `net: false`);
/// where both match, the message says the line is approximate and names the other.
#[test]
fn of_branches_that_cannot_be_judged_the_one_matching_the_render_is_the_place() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  {{- if .Capabilities.APIVersions.Has \"example.com/v1\" }}\n  hostNetwork: {{ .Values.net }}\n  hostPID: {{ .Values.pid }}\n  {{- else }}\n  hostNetwork: true\n  hostPID: {{ .Values.otherPid }}\n  {{- end }}\n  containers:\n    - name: main\n      image: {{ .Values.image }}\n";
    let values = "image: registry.example.com/x:1\nnet: false\npid: true\notherPid: true\n";
    let dir = tree(&[
        (
            "cap/Chart.yaml",
            "apiVersion: v2\nname: cap\nversion: 0.1.0\n",
        ),
        ("cap/values.yaml", values),
        ("cap/templates/pod.yaml", pod),
    ]);
    let args = ["scan", "cap", "-f", "json", "--select", "KH102"];
    let doc = json(&run(dir.path(), &args, None));
    let said = keys_of(&doc, &["KH102"]);
    assert!(
        said.contains(&"spec.hostNetwork 10 -".to_string()),
        "{said:#?}"
    );
    let pid = messages_of(&doc, "KH102");
    assert!(
        pid.iter().any(|m| m.contains("hostPID: true; the line is approximate: line 11 (it reads otherPid at cap/values.yaml:4) writes it too, in a branch that cannot be judged from the values")),
        "{pid:#?}"
    );
}

/// In SARIF, a finding mapped to a template line that names a chart value carries
/// the value's place (and the rendered one) as `relatedLocations`, so a code host
/// shows where to change it; the log still follows the SARIF 2.1.0 schema.
#[test]
fn sarif_relates_a_mapped_finding_to_its_value_and_rendered_place() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: {{ .Values.hostNetwork }}\n  containers:\n    - name: main\n      image: registry.example.com/x:1\n";
    let dir = tree(&[
        ("s/Chart.yaml", "apiVersion: v2\nname: s\nversion: 0.1.0\n"),
        ("s/values.yaml", "replicas: 1\nhostNetwork: true\n"),
        ("s/templates/pod.yaml", pod),
    ]);
    let args = ["scan", "s", "-f", "sarif", "--select", "KH102"];
    let doc = json(&run(dir.path(), &args, None));
    let result = &doc["runs"][0]["results"][0];
    let at = |l: &Value| {
        format!(
            "{} {} {}",
            l["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap(),
            l["physicalLocation"]["region"]["startLine"],
            l["message"]["text"].as_str().unwrap_or("-")
        )
    };
    assert_eq!(at(&result["locations"][0]), "s/templates/pod.yaml 6 -");
    let related: Vec<String> = result["relatedLocations"]
        .as_array()
        .unwrap_or_else(|| panic!("{result}"))
        .iter()
        .map(at)
        .collect();
    assert_eq!(related[0], "s/values.yaml 2 value set here: hostNetwork");
    assert!(
        related[1].ends_with("rendered here, in the render's output (not a file on disk)"),
        "{related:#?}"
    );
    let Some(schemas) = kubeharden_testkit::shared("schemas", "SARIF schema validation not run")
    else {
        return;
    };
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(schemas.join("sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let problems: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// An `add` whose value is a list (ports, capabilities) set the fields inside its
/// items: a finding on one of them is the operation's, not the base's.
#[test]
fn a_json_patch_adding_a_list_is_the_place_of_its_items_fields() {
    if !tools() {
        return;
    }
    let ops = "- op: add\n  path: /spec/template/spec/containers/0/ports\n  value:\n    - containerPort: 80\n      hostPort: 80\n- op: add\n  path: /spec/template/spec/containers/0/securityContext\n  value:\n    capabilities:\n      add: [SYS_ADMIN]\n";
    let dir = tree(&[
        ("base/kustomization.yaml", "resources: [deploy.yaml]\n"),
        ("base/deploy.yaml", API_WORKER),
        (
            "overlay/kustomization.yaml",
            "resources: [../base]\npatches:\n  - path: ops.yaml\n    target: {kind: Deployment, name: api-worker}\n",
        ),
        ("overlay/ops.yaml", ops),
    ]);
    let doc = json(&run(
        dir.path(),
        &["scan", "overlay", "-f", "json", "--select", "KH104,KH105"],
        None,
    ));
    let mut said: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let at = &f["location"];
            format!(
                "{} {}:{}",
                f["rule_id"].as_str().unwrap(),
                at["file"].as_str().unwrap(),
                at["line"]
            )
        })
        .collect();
    said.sort();
    assert_eq!(
        said,
        ["KH104 overlay/ops.yaml:3", "KH105 overlay/ops.yaml:8"],
        "{doc}"
    );
}

/// A chart that writes `namespace: {{ .Release.Namespace }}` chooses no namespace:
/// rendered with no `--namespace` it lands in helm's `default` but is not blamed for
/// it (KH501), as a manifest that names none is not; `--namespace default` is.
#[test]
fn the_release_namespace_is_no_choice_of_the_chart() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: {{ .Release.Namespace }}\nspec:\n  containers:\n    - name: main\n      image: registry.example.com/m:1\n";
    let dir = tree(&[
        ("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n"),
        ("c/templates/pod.yaml", pod),
    ]);
    let kh501 = |extra: &[&str]| {
        let mut args = vec!["scan", "c", "-f", "json", "--select", "KH501"];
        args.extend_from_slice(extra);
        rule_ids(&json(&run(dir.path(), &args, None)))
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert!(kh501(&[]).is_empty());
    assert_eq!(kh501(&["--namespace", "default"]), ["KH501"]);
    assert!(kh501(&["--namespace", "shop"]).is_empty());
}

/// The fix line of a finding a chart value decides names that value, in text and in
/// JSON's `remediation`, whether the value is set or still to be added.
#[test]
fn the_fix_names_the_chart_value_to_change() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: main\n      image: {{ .Values.image }}\n      securityContext:\n        {{- toYaml .Values.securityContext | nindent 8 }}\n";
    let dir = tree(&[
        ("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n"),
        (
            "c/values.yaml",
            "image: registry.example.com/m:1\nsecurityContext:\n  runAsNonRoot: false\n",
        ),
        ("c/templates/pod.yaml", pod),
    ]);
    let args = ["scan", "c", "--select", "KH122,KH121"];
    let text = String::from_utf8_lossy(&run(dir.path(), &args, None).stdout).into_owned();
    assert!(
        text.contains(": in the chart, through the chart value securityContext.runAsNonRoot (c/values.yaml:3) (kubeharden explain KH122)"),
        "{text}"
    );
    assert!(
        text.contains("through the chart value securityContext.allowPrivilegeEscalation (not set yet: add it to c/values.yaml)"),
        "{text}"
    );
    // A `--set` value is named by its flag, not as a file and line.
    let set_args = [&args[..], &["--set", "securityContext.runAsNonRoot=false"]].concat();
    let text = String::from_utf8_lossy(&run(dir.path(), &set_args, None).stdout).into_owned();
    assert!(
        text.contains("through the chart value securityContext.runAsNonRoot (--set securityContext.runAsNonRoot) (kubeharden explain KH122)"),
        "{text}"
    );
    let doc = json(&run(
        dir.path(),
        &[&args[..], &["-f", "json"]].concat(),
        None,
    ));
    let summaries: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["remediation"]["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries
            .iter()
            .all(|s| s.contains("in the chart, through the chart value securityContext.")),
        "{summaries:?}"
    );
}

/// A grant's message names the role beside the binding: for a chart, at the template
/// that writes it, never at a line of the render's output, which is no file.
#[test]
fn the_role_of_a_grant_is_named_at_its_template() {
    if !tools() {
        return;
    }
    let rbac = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {{ .Release.Name }}-all\nrules:\n  - apiGroups: [\"*\"]\n    resources: [\"*\"]\n    verbs: [\"*\"]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {{ .Release.Name }}-all\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {{ .Release.Name }}-all}\nsubjects:\n  - kind: ServiceAccount\n    name: app\n    namespace: apps\n";
    let dir = tree(&[
        ("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n"),
        ("c/templates/rbac.yaml", rbac),
    ]);
    let doc = json(&run(
        dir.path(),
        &["scan", "c", "-f", "json", "--select", "KH601"],
        None,
    ));
    let message = doc["findings"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{doc}"));
    assert!(
        message.contains("ClusterRole release-name-all (c/templates/rbac.yaml:4)"),
        "{message}"
    );
    assert!(!message.contains("(helm template)"), "{message}");
}

/// CI that passes the changed files with their chart or overlay: a template or a
/// listed patch named beside what uses it is judged through it, listed as not
/// rendered alone, and is no PATH that scanned nothing (no exit 2 for it).
#[test]
fn a_template_or_a_patch_named_beside_its_chart_or_overlay_fails_nothing() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: main\n      image: registry.example.com/m:1\n";
    let patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api-worker\nspec:\n  template:\n    spec:\n      hostNetwork: true\n";
    let dir = tree(&[
        ("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n"),
        ("c/templates/pod.yaml", pod),
        ("base/kustomization.yaml", "resources: [deploy.yaml]\n"),
        ("base/deploy.yaml", API_WORKER),
        (
            "prod/kustomization.yaml",
            "resources: [../base]\npatches:\n  - path: hostnet.yaml\n  - path: ops.yaml\n    target: {kind: Deployment, name: api-worker}\n",
        ),
        ("prod/hostnet.yaml", patch),
        ("prod/ops.yaml", "- op: add\n  path: /spec/template/spec/hostPID\n  value: true\n"),
    ]);
    let dir_path = dir.path();
    std::fs::write(
        dir_path.join("c/values.yaml"),
        "replicas: 1
",
    )
    .unwrap();
    std::fs::create_dir_all(dir_path.join("c/ci")).unwrap();
    std::fs::write(
        dir_path.join("c/ci/lint-values.yaml"),
        "replicas: 2
",
    )
    .unwrap();
    for args in [
        &["scan", "c/templates/pod.yaml", "c", "-f", "json"][..],
        &["scan", "prod/hostnet.yaml", "prod", "-f", "json"][..],
        &["scan", "prod/ops.yaml", "prod", "-f", "json"][..],
        &[
            "scan",
            "c/values.yaml",
            "c/ci/lint-values.yaml",
            "c",
            "-f",
            "json",
        ][..],
    ] {
        let out = run(dir.path(), args, None);
        let doc = json(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {doc}");
        assert!(
            errors_of(&doc).is_empty(),
            "{args:?}: {:?}",
            errors_of(&doc)
        );
    }
    // Alone, each is still nothing scanned, and a values file says what to run.
    let out = run(dir.path(), &["scan", "prod/hostnet.yaml"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = run(dir.path(), &["scan", "c/ci/lint-values.yaml"], None);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("scan c --values c/ci/lint-values.yaml"),
        "{text}"
    );
}

/// A JSON 6902 `move` takes the field away from `from`: the finding of its absence is
/// the operation's, "removed", not the base line that still sets it.
#[test]
fn a_json_patch_move_removes_the_field_it_moves_from() {
    if !tools() {
        return;
    }
    let base = API_WORKER.replace(
        "          image: registry.example.com/api:1\n",
        "          image: registry.example.com/api:1\n          securityContext:\n            readOnlyRootFilesystem: true\n",
    );
    let ops = "- op: move\n  from: /spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem\n  path: /spec/template/spec/containers/0/securityContext/readonlyrootfs\n";
    let dir = tree(&[
        ("base/kustomization.yaml", "resources: [deploy.yaml]\n"),
        ("base/deploy.yaml", &base),
        (
            "overlay/kustomization.yaml",
            "resources: [../base]\npatches:\n  - path: ops.yaml\n    target: {kind: Deployment, name: api-worker}\n",
        ),
        ("overlay/ops.yaml", ops),
    ]);
    let doc = json(&run(
        dir.path(),
        &["scan", "overlay", "-f", "json", "--select", "KH132"],
        None,
    ));
    let f = &doc["findings"][0];
    assert_eq!(f["location"]["file"], "overlay/ops.yaml", "{doc}");
    assert_eq!(f["location"]["line"], 1, "{doc}");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("removed by the patch overlay/ops.yaml:1"),
        "{f}"
    );
}

/// A value not set in any file is to be set where its nearest part is held: the
/// list of sidecars in the first --values file, not a later file that holds only the
/// list's parent.
#[test]
fn an_unset_value_is_placed_in_the_file_that_holds_most_of_it() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: main\n      image: registry.example.com/m:1\n    {{- with .Values.master.sidecars }}\n    {{- toYaml . | nindent 4 }}\n    {{- end }}\n";
    let prod = "master:\n  sidecars:\n    - name: debug\n      image: registry.example.com/busybox:1\n      securityContext:\n        privileged: true\n";
    let dir = tree(&[
        ("r/Chart.yaml", "apiVersion: v2\nname: r\nversion: 0.1.0\n"),
        ("r/values.yaml", "master:\n  sidecars: []\n"),
        ("r/templates/pod.yaml", pod),
        ("prod.yaml", prod),
        ("prod2.yaml", "master:\n  other: 1\n"),
    ]);
    let args = [
        "scan",
        "r",
        "--values",
        "prod.yaml",
        "--values",
        "prod2.yaml",
        "-f",
        "json",
        "--select",
        "KH122",
    ];
    let doc = json(&run(dir.path(), &args, None));
    let debug = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["container"] == "debug")
        .unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(debug["value"]["location"]["file"], "prod.yaml", "{debug}");
    assert_eq!(debug["value"]["set"], false, "{debug}");
}

/// A patch of an overlay over an object of a chart the overlay inflates decides the
/// field: the finding names the patch alone, not the chart's template and values,
/// which rendered something else.
#[test]
fn a_patch_over_an_inflated_charts_object_is_named_alone() {
    if !tools() {
        return;
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: {{ .Values.hostPID | default false }}\n  containers:\n  - {name: c, image: registry.example.com/c:1}\n";
    let kustomization = "helmCharts:\n- name: app\n  releaseName: shop\npatches:\n- target: {kind: Pod, name: p}\n  patch: |-\n    - op: replace\n      path: /spec/hostPID\n      value: true\n";
    let dir = tree(&[
        ("overlay/kustomization.yaml", kustomization),
        (
            "overlay/charts/app/Chart.yaml",
            "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        ),
        ("overlay/charts/app/values.yaml", "hostPID: false\n"),
        ("overlay/charts/app/templates/pod.yaml", pod),
    ]);
    let doc = json(&run(
        dir.path(),
        &["scan", "overlay", "-f", "json", "--select", "KH102"],
        None,
    ));
    let f = &doc["findings"][0];
    let message = f["message"].as_str().unwrap_or_else(|| panic!("{doc}"));
    assert!(
        message.contains("set by the patch overlay/kustomization.yaml:"),
        "{message}"
    );
    assert!(
        !message.contains("written by the template") && !message.contains("chart value"),
        "{message}"
    );
    assert_eq!(f["location"]["file"], "overlay/kustomization.yaml", "{f}");
}
