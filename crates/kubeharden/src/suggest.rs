//! "Did you mean": the closest known name to a misspelt one (kept with the catalog,
//! which the configuration file's checks share).

pub use kubeharden_rules::suggest::{did_you_mean, rule_names};
