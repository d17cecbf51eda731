//! What a project tells kubeharden about itself, and what it has accepted.
//!
//! - [`Config`]: the configuration file `.kubeharden.yaml` (found upward from the
//!   scanned path, or named with `--config`): rule selection, severity overrides, the
//!   framework, the fail-on level, the Pod Security target and [`Exceptions`]. Every
//!   mistake in it is a [`ConfigError`] that names the file, line and column.
//! - [`Exceptions`]: findings accepted for a reason, scoped by rules, kinds,
//!   namespaces, names, containers and labels, optionally until a date. Applied to a
//!   [`ScanReport`](kubeharden_findings::ScanReport), they move the findings they
//!   cover to its `suppressed` list (never dropped), and report expired exceptions and,
//!   when asked, unused ones as warnings.
//! - [`Baseline`]: the fingerprints of the findings known at some point; applied, it
//!   suppresses them, so only new findings count.
//!
//! Inline exceptions (annotations on the objects) are read by the engine as it checks
//! each object (`kubeharden_rules::inline`). Every command applies the same
//! configuration at the one place its report is finished, and so can the admission
//! webhook.

#![forbid(unsafe_code)]

mod baseline;
mod config;
mod exception;

pub use baseline::{Baseline, BaselineError};
pub use config::{Config, ConfigError, FailLevel, CONFIG_FILE};
pub use exception::{Exception, Exceptions};
/// The day type of `expires` dates and [`today`].
pub use jiff::civil::Date;

/// Today's date in UTC: the day exceptions' `expires` dates are compared with, the
/// same in every command and in the webhook.
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}
