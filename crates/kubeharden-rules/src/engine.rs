//! Running a rule set on one object.

use kubeharden_load::{LoadError, Object, Workload};

use crate::finding::{Finding, Location};
use crate::rule::{Check, Out, RuleEntry};
use crate::select::RuleSet;

/// What one object produced.
#[derive(Debug, Default)]
pub struct ObjectResult {
    pub findings: Vec<Finding>,
    pub errors: Vec<LoadError>,
}

impl RuleSet {
    /// Runs every rule of the set on `object`. A pod spec field of the wrong type is
    /// reported as an error and read as unset; every rule still runs.
    pub fn check_object(&self, object: &Object) -> ObjectResult {
        let mut result = ObjectResult::default();
        let workload = Workload::from_object(object).map(|(w, errors)| {
            result.errors.extend(errors);
            w
        });
        for rule in &self.rules {
            let mut out = Out::default();
            match (rule.def.check, &workload) {
                (Check::Workload(check), Some(w)) => check(w, &mut out),
                (Check::Object(check), _) => check(object, &mut out),
                (Check::Workload(_), None) => continue,
            }
            result
                .findings
                .extend(out.violations.into_iter().map(|v| locate(rule, object, v)));
        }
        result
    }
}

fn locate(rule: &RuleEntry, object: &Object, v: crate::rule::Violation) -> Finding {
    let at = object.root.locate(&v.path);
    let def = rule.def;
    Finding {
        rule_id: def.id,
        rule_name: def.name,
        severity: def.severity,
        title: def.title,
        message: v.message,
        guidance: def.guidance,
        resource: object.resource.clone(),
        container: v.container,
        path: v.path.to_string(),
        location: Location {
            file: object.file.clone(),
            line: at.pos.line,
            column: at.pos.col,
        },
        helm_source: object.helm_source.clone(),
        requires: v.requires,
    }
}
