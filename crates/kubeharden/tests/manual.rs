//! Shell completions and man pages come from the CLI's definition: they name the
//! commands and flags the binary takes.

mod common;

use common::{root, run_in};

fn stdout(args: &[&str]) -> (Option<i32>, String, String) {
    let out = run_in(&root(), args, None);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn completions_name_the_commands_and_flags_for_each_shell() {
    let (code, bash, err) = stdout(&["completions", "bash"]);
    assert_eq!(code, Some(0), "{err}");
    for word in ["_kubeharden", "audit-log", "--fail-on", "who-can"] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    let (code, zsh, _) = stdout(&["completions", "zsh"]);
    assert_eq!(code, Some(0));
    assert!(
        zsh.starts_with("#compdef kubeharden"),
        "{}",
        &zsh[..40.min(zsh.len())]
    );
    let (code, fish, _) = stdout(&["completions", "fish"]);
    assert_eq!(code, Some(0));
    assert!(fish.contains("complete -c kubeharden"));
    let (code, _, err) = stdout(&["completions", "tcsh"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("possible values"), "{err}");
}

#[test]
fn completions_offer_the_values_of_formats_levels_and_frameworks() {
    let (_, bash, _) = stdout(&["completions", "bash"]);
    assert!(
        bash.contains("text json sarif junit policyreport html markdown"),
        "--format values"
    );
    assert!(
        bash.contains("critical high medium low info none"),
        "--fail-on values"
    );
    assert!(bash.contains("nsa-cisa pss-baseline pss-restricted"));
    assert!(bash.contains("baseline restricted"));
    let (_, fish, _) = stdout(&["completions", "fish"]);
    assert!(
        fish.contains("-l min-severity") && fish.contains("critical\\t"),
        "{fish}"
    );
    // The values are told, and our own messages kept.
    let (code, _, err) = stdout(&["scan", ".", "--format", "jsn"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("did you mean \"json\"?"), "{err}");
}

#[test]
fn man_pages_cover_every_command() {
    let (code, page, err) = stdout(&["man"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH kubeharden"),
        "{page}"
    );
    assert!(page.contains("audit\\-log"), "{page}");
    // Exit codes are part of the interface: scripts need them.
    assert_eq!(page.matches(".SH \"EXIT STATUS\"").count(), 1, "{page}");
    assert!(
        page.find("EXIT STATUS") < page.find(".SH VERSION"),
        "{page}"
    );
    assert!(page.contains("kubectl auth can\\-i"), "{page}");

    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let (code, _, err) = stdout(&["man", "--dir", pages.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    for page in [
        "kubeharden.1",
        "kubeharden-scan.1",
        "kubeharden-cluster.1",
        "kubeharden-rbac-who-can.1",
    ] {
        let text = std::fs::read_to_string(pages.join(page)).unwrap_or_default();
        assert!(text.contains(".TH"), "{page} missing or empty");
    }
    let scan = std::fs::read_to_string(pages.join("kubeharden-scan.1")).unwrap();
    assert!(scan.contains("fail\\-on"), "the scan page lacks --fail-on");
    assert!(
        scan.contains(".SH \"EXIT STATUS\""),
        "the scan page lacks its exit codes"
    );
    // A second run into the same folder adds no second section.
    let (code, _, err) = stdout(&["man", "--dir", pages.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let again = std::fs::read_to_string(pages.join("kubeharden-scan.1")).unwrap();
    assert_eq!(again.matches("EXIT STATUS").count(), 1);
}

/// A reader that stops early (`kubeharden completions bash | head -1`) closes the
/// pipe: the generators end quietly, with no panic and exit 0.
#[test]
fn a_closed_pipe_ends_completions_and_man_quietly() {
    use std::process::{Command, Stdio};
    for args in [&["completions", "bash"][..], &["man"][..], &["rules"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Closed before the child can have started writing (its start-up takes
        // milliseconds): every write meets a closed pipe, whatever the output's size.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

/// The rules table's columns line up whatever a rule's name: each header starts
/// where its column does on every row.
#[test]
fn the_rules_table_is_aligned() {
    let (code, table, _) = stdout(&["rules"]);
    assert_eq!(code, Some(0));
    let header = table.lines().next().unwrap();
    let guidance = header.find("GUIDANCE").unwrap();
    let rows: Vec<&str> = table
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("KH"))
        .collect();
    assert!(rows.len() > 50);
    for row in rows {
        let before = &row[..guidance];
        assert!(
            before.ends_with(' '),
            "the name runs into the guidance column: {row}"
        );
        let cell = &row[guidance..];
        assert!(
            cell.starts_with("POD-") || cell.chars().next().is_some_and(|c| c.is_ascii_uppercase()),
            "{row}"
        );
    }
}

/// Run by kubectl as its plugin (`kubectl-harden` on PATH), help and errors name the
/// command as the user typed it.
#[test]
fn as_a_kubectl_plugin_it_is_named_kubectl_harden() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("kubectl-harden");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kubeharden"), &plugin).unwrap();
    let out = std::process::Command::new(&plugin)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Usage: kubectl harden "), "{help}");
    let out = std::process::Command::new(&plugin)
        .args(["scna"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("kubectl harden"), "{err}");
    // Under its own name, its own.
    let (_, help, _) = stdout(&["--help"]);
    assert!(help.contains("Usage: kubeharden "), "{help}");
}
