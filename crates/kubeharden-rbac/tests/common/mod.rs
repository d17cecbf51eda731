//! What the RBAC tests share: a cluster view from YAML text, as a scan builds it.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::sync::Arc;

use kubeharden_cluster::{ClusterFacts, ClusterView};
use kubeharden_load::{load_text, Workload};
use kubeharden_yaml::Limits;

pub fn view(text: &str) -> ClusterView {
    view_of_files(&[("rbac.yaml", text)])
}

/// One cluster of several files, each (name, text), as a scan of a folder builds it.
pub fn view_of_files(files: &[(&str, &str)]) -> ClusterView {
    let mut facts = ClusterFacts::default();
    for (name, text) in files {
        let name: Arc<str> = (*name).into();
        let loaded = load_text(&name, text, &Limits::default());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        for object in &loaded.objects {
            let workload = Workload::from_object(object).map(|(w, _)| w);
            facts.observe(object, workload.as_ref());
        }
    }
    ClusterView::build(facts)
}
