//! NetworkPolicy analysis on arbitrary clusters (`kubeharden_fuzz::cluster`):
//! namespaces with labels, workloads with ports and addresses, policies with every
//! kind of peer, port, range and policy type; then `reach` for every pair of
//! workloads, on any port and on given ones, and the cluster-wide rules. The
//! answers must agree: a Pod reaches itself (a template does not: its replicas are
//! distinct pods, which policies govern); what no port reaches, no port reaches;
//! what a port surely reaches, some port surely does.
#![no_main]

use kubeharden_cluster::netpol::{reach, Verdict};
use kubeharden_fuzz::cluster::Cluster;
use kubeharden_rules::RuleSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|cluster: Cluster| {
    let view = cluster.view();
    for (i, src) in view.pods.iter().enumerate() {
        for (j, dst) in view.pods.iter().enumerate() {
            let any = reach(&view, src, dst, None);
            if i == j && src.origin.resource.kind == "Pod" {
                assert_eq!(any.verdict, Verdict::Allowed, "a Pod reaches itself");
            }
            for (port, protocol) in cluster.ports() {
                let one = reach(&view, src, dst, Some((i32::from(*port), &protocol.0)));
                if any.verdict == Verdict::Denied {
                    assert_eq!(one.verdict, Verdict::Denied, "port {port}/{}", protocol.0);
                }
                if one.verdict == Verdict::Allowed {
                    assert_eq!(any.verdict, Verdict::Allowed, "port {port}/{}", protocol.0);
                }
            }
        }
    }
    let _ = RuleSet::all().manifest_rules().check_cluster(&view);
});
