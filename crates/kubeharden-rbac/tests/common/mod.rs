//! What the RBAC tests share: a cluster view from YAML text, as a scan builds it.

use std::sync::Arc;

use kubeharden_cluster::{ClusterFacts, ClusterView};
use kubeharden_load::{load_text, Workload};
use kubeharden_yaml::Limits;

pub fn view(text: &str) -> ClusterView {
    let name: Arc<str> = "rbac.yaml".into();
    let loaded = load_text(&name, text, &Limits::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let mut facts = ClusterFacts::default();
    for object in &loaded.objects {
        let workload = Workload::from_object(object).map(|(w, _)| w);
        facts.observe(object, workload.as_ref());
    }
    ClusterView::build(facts)
}
