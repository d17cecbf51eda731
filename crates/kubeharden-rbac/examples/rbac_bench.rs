//! RBAC timings for docs/benchmarks.md: loading the objects, building the model
//! (aggregation, bootstrap policy), who-can and can queries, and escalation paths.
//!
//! cargo run --release -p kubeharden-rbac --example rbac_bench -- FILE.yaml

use std::sync::Arc;
use std::time::Instant;

use kubeharden_cluster::{ClusterFacts, ClusterView};
use kubeharden_load::load_text;
use kubeharden_rbac::{escalation_paths, Identity, RbacModel, Request, SubjectRef};
use kubeharden_yaml::Limits;

fn main() {
    let path = std::env::args().nth(1).expect("FILE.yaml");
    let started = Instant::now();
    let text = std::fs::read_to_string(&path).expect("readable file");
    let name: Arc<str> = path.clone().into();
    let loaded = load_text(&name, &text, &Limits::default());
    let mut facts = ClusterFacts::default();
    for object in &loaded.objects {
        facts.observe(object, None);
    }
    let view = ClusterView::build(facts);
    let loaded_in = started.elapsed();
    let started = Instant::now();
    let model = RbacModel::build(&view);
    let built_in = started.elapsed();

    let queries = 100;
    let started = Instant::now();
    let mut answers = 0;
    for i in 0..queries {
        let ns = format!("team-{:03}", i % 100);
        answers += model
            .who_can(&Request::parse("get", "secrets", Some(&ns), None))
            .len();
    }
    let who_can = started.elapsed() / queries;
    let started = Instant::now();
    let mut allowed = 0;
    for i in 0..queries {
        let subject = SubjectRef::User {
            name: format!("user-{:04}", i * 7),
        };
        allowed += usize::from(
            !model
                .can(
                    &Identity::of(&subject),
                    &Request::parse("create", "pods/exec", Some("team-001"), None),
                )
                .is_empty(),
        );
    }
    let can = started.elapsed() / queries;
    let started = Instant::now();
    let paths = escalation_paths(&model, &view).len();
    let paths_in = started.elapsed();
    println!(
        "objects={} roles={} bindings={} load={:.3}s model={:.3}s who-can={:.3}ms (avg, {answers} answers) can={:.3}ms (avg, {allowed} allowed) escalation-paths={paths} in {:.3}s",
        loaded.objects.len(),
        view.roles.len(),
        view.bindings.len(),
        loaded_in.as_secs_f64(),
        built_in.as_secs_f64(),
        who_can.as_secs_f64() * 1e3,
        can.as_secs_f64() * 1e3,
        paths_in.as_secs_f64()
    );
}
