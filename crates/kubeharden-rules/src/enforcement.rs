//! NP-01 beyond its own finding (KH517): in a whole cluster whose network plugins are
//! all known not to enforce NetworkPolicy, every NetworkPolicy finding says so, so
//! that nobody fixes a policy that changes nothing before the plugin. A scan of some
//! manifests does not show the cluster's plugin: nothing is guessed there.

use kubeharden_cluster::plugins::network_plugins;
use kubeharden_cluster::ClusterView;
use kubeharden_findings::Finding;

/// The rule that reports the plugin itself.
const PLUGIN_RULE: &str = "KH517";

/// What a NetworkPolicy finding adds when the cluster's plugins enforce no policy.
fn unenforced_note(view: &ClusterView) -> Option<String> {
    if !crate::rules::inventory::whole_cluster(view) {
        return None;
    }
    let plugins = network_plugins(view);
    if plugins.is_empty()
        || plugins
            .iter()
            .any(|p| p.enforces_network_policy != Some(false))
    {
        return None;
    }
    let names: Vec<&str> = plugins.iter().map(|p| p.name).collect();
    Some(format!(
        " (NetworkPolicies are not enforced in this cluster: its network plugin, {}, does not enforce them; see {PLUGIN_RULE})",
        names.join(" and ")
    ))
}

/// Adds the note to the findings of the network rules (but the plugin's own).
pub fn note_unenforced_policies(findings: &mut [Finding], view: &ClusterView) {
    let Some(note) = unenforced_note(view) else {
        return;
    };
    let about_policies = |id: &str| {
        id != PLUGIN_RULE && crate::find_rule(id).is_some_and(|r| r.info.section == "network")
    };
    for finding in findings.iter_mut().filter(|f| about_policies(f.rule_id)) {
        finding.message.push_str(&note);
    }
}
