//! The bootstrap RBAC policy, loaded once from the bundled YAML.

use std::sync::{Arc, OnceLock};

use kubeharden_cluster::{ClusterFacts, ClusterView};
use kubeharden_load::load_text;
use kubeharden_yaml::Limits;

/// The name findings and queries show for built-in objects.
pub const BUILT_IN: &str = "<built-in>";

/// The default ClusterRoles and ClusterRoleBindings, as a view of their own.
pub(crate) fn bootstrap() -> &'static ClusterView {
    static VIEW: OnceLock<ClusterView> = OnceLock::new();
    VIEW.get_or_init(|| {
        let name: Arc<str> = BUILT_IN.into();
        let loaded = load_text(
            &name,
            include_str!("../data/bootstrap.yaml"),
            &Limits::default(),
        );
        debug_assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let mut facts = ClusterFacts::default();
        for object in &loaded.objects {
            let errors = facts.observe(object, None);
            debug_assert!(errors.is_empty(), "{errors:?}");
        }
        ClusterView::build(facts)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bundled_policy_loads() {
        let view = super::bootstrap();
        assert!(view
            .roles
            .iter()
            .any(|r| r.origin.resource.name == "cluster-admin"));
        assert!(view.bindings.len() >= 10);
    }
}
