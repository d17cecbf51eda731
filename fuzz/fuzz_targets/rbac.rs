//! RBAC analysis on arbitrary clusters (`kubeharden_fuzz::cluster`): roles with
//! aggregation, bindings of every subject kind, service accounts and the workloads
//! that mount them; then `who-can`, `can` and `permissions`, escalation paths, and
//! the cluster-wide rules. The answers must agree with each other: whoever
//! `who-can` names can, by the same binding, and holds that binding among their
//! permissions.
#![no_main]

use kubeharden_fuzz::cluster::Cluster;
use kubeharden_rbac::{escalation_paths, Identity, RbacModel, Request};
use kubeharden_rules::RuleSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|cluster: Cluster| {
    let view = cluster.view();
    let model = RbacModel::build(&view);
    for q in cluster.questions() {
        let namespace = q.namespace.as_ref().map(|n| n.0.as_str());
        let name = q.name.as_ref().map(|n| n.0.as_str());
        let req = Request::parse(&q.verb.0, &q.resource(), namespace, name);
        for grant in model.who_can(&req) {
            let identity = Identity::of(&grant.subject);
            let can = model.can(&identity, &req);
            assert!(
                !can.is_empty(),
                "who-can names {} for {} but can says no",
                grant.subject,
                req.describe()
            );
            let held = model.permissions(&identity);
            assert!(
                held.iter().any(|(b, _)| std::ptr::eq(*b, grant.binding)),
                "{} holds {} by who-can, not by permissions",
                grant.subject,
                grant.binding.describe()
            );
        }
    }
    let _ = escalation_paths(&model, &view);
    let _ = RuleSet::all().manifest_rules().check_cluster(&view);
});
