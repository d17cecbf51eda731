//! ## What it does
//! Flags Dockerfiles whose final stage runs as root: it has no `USER` instruction,
//! or its last `USER` is `root` or `0`, or its group is `root` or `0`. A user given
//! as a build variable (`USER $APP_USER`) is not judged.
//!
//! ## Why it matters
//! The guidance's first Pod security recommendation is to build images that run as a
//! non-root user and group (Appendix A: `USER user1:group1`). Building it in is better
//! than overriding it at run time: the image is then safe wherever it runs, and
//! `runAsNonRoot: true` can verify it.
//!
//! ## Example
//! ```dockerfile
//! FROM registry.example.com/base/python:3.12
//! COPY app /app
//! CMD ["python", "/app/main.py"]
//! ```
//!
//! ## Fix
//! Create a user in the image and end the final stage with a numeric `USER`:
//! ```dockerfile
//! RUN groupadd --gid 10001 app && useradd --uid 10001 --gid app app
//! USER 10001:10001
//! ```
//! ```yaml
//! # until the image is rebuilt, run it as a non-root user
//! securityContext:
//!   runAsNonRoot: true
//!   runAsUser: 10001
//!   runAsGroup: 10001
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH140",
    name: "image-runs-as-root",
    title: "Image is built to run as root",
    severity: Severity::Medium,
    guidance: &["POD-01"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1068",
        name: "Exploitation for Privilege Escalation",
    }),
    check: Check::Object(check),
};

fn is_root(id: &str) -> bool {
    id == "root" || id == "0"
}

fn check(object: &Object, out: &mut Out) {
    if object.resource.kind != "Dockerfile" || !object.resource.api_version.is_empty() {
        return;
    }
    let stages = object
        .root
        .get("stages")
        .map(|s| s.items())
        .unwrap_or_default();
    let Some(last) = stages.len().checked_sub(1) else {
        return;
    };
    let path = FieldPath::parse("stages").index(last).key("user");
    let Some(user) = stages[last].get("user").and_then(|u| u.as_str()) else {
        out.at(
            path,
            "the final stage sets no USER, so the image runs as root",
        );
        return;
    };
    if user.contains('$') {
        return;
    }
    let (name, group) = user
        .split_once(':')
        .map_or((user, None), |(u, g)| (u, Some(g)));
    if is_root(name) {
        out.at(path, format!("the final stage runs as USER {user} (root)"));
    } else if group.is_some_and(is_root) {
        out.at(
            path,
            format!("the final stage runs as USER {user}, with the root group"),
        );
    }
}
