//! Resource quantities as the API server decodes them. A quantity that does not parse
//! (a template placeholder such as `${GPU_COUNT}`, a typo such as `512MB`) makes the
//! whole object undecodable: the API server answers 400 before any admission check,
//! so kubeharden reports it as an error with its line rather than judging the object.

use kubeharden_yaml::{FieldPath, Node, Resolved};

use crate::error::{LoadError, LoadErrorKind};
use crate::object::Object;

/// Whether `text` is a Kubernetes quantity: a signed decimal number followed by a
/// binary suffix (Ki..Ei), a decimal suffix (n, u, m, "", k, M..E) or an exponent.
pub fn is_quantity(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let digits_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(digits_end);
    let number_ok = number.bytes().any(|b| b.is_ascii_digit()) && number.matches('.').count() <= 1;
    number_ok && is_suffix(suffix)
}

fn is_suffix(suffix: &str) -> bool {
    const SUFFIXES: [&str; 16] = [
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E",
    ];
    if SUFFIXES.contains(&suffix) {
        return true;
    }
    let Some(exponent) = suffix.strip_prefix(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    !exponent.is_empty() && exponent.bytes().all(|b| b.is_ascii_digit())
}

/// The value of a quantity in its base unit (cores, bytes, items), close enough to
/// compare a request with its limit; `None` when `text` is not a quantity.
pub fn quantity_value(text: &str) -> Option<f64> {
    if !is_quantity(text) {
        return None;
    }
    let digits_end = text
        .char_indices()
        .skip(1)
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map_or(text.len(), |(i, _)| i);
    let (number, suffix) = text.split_at(digits_end);
    let number: f64 = number.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        binary if binary.ends_with('i') => {
            let power = "KMGTPE".find(&binary[..1])? as i32 + 1;
            2f64.powi(10 * power)
        }
        exponent => 10f64.powf(exponent[1..].parse::<f64>().ok()?),
    };
    Some(number * scale)
}

/// A resource a device plugin or operator adds (`nvidia.com/gpu`): a name with a
/// domain outside `kubernetes.io`. The API server counts them in whole units and
/// does not overcommit them.
fn is_extended(resource: &str) -> bool {
    resource.contains('/')
        && !resource.starts_with("kubernetes.io/")
        && !resource.starts_with("requests.")
}

/// One request or limit as written: its resource, value and place.
struct Amount<'n> {
    resource: &'n str,
    text: String,
    value: Option<f64>,
    node: &'n Node,
}

/// The entries of `resources.limits` or `resources.requests` of a container.
fn amounts<'n>(container: &'n Node, kind: &str) -> Vec<Amount<'n>> {
    let Some(values) = container.get("resources").and_then(|r| r.get(kind)) else {
        return Vec::new();
    };
    values
        .entries()
        .iter()
        .filter_map(|entry| {
            // A number is taken as written (`1e400` is a quantity, not infinity).
            let text = match entry.value.resolved()? {
                Resolved::Str(text) => text,
                Resolved::Int(_) | Resolved::Float(_) => entry.value.scalar_text()?,
                _ => return None,
            }
            .to_string();
            Some(Amount {
                resource: entry.key.scalar_text().unwrap_or("?"),
                value: quantity_value(&text),
                text,
                node: &entry.value,
            })
        })
        .collect()
}

/// What the API server's validation says of one amount, alone: not a quantity, below
/// zero, or a fraction of a resource counted in whole units.
fn amount_problem(amount: &Amount<'_>) -> Option<String> {
    let Some(value) = amount.value else {
        // Like every type error, the value is withheld: the line and column show it
        // to whoever may see it.
        return Some("not a quantity (such as 500m, 2, 1Gi; value withheld)".to_string());
    };
    let refused = "the API server refuses the object";
    if value < 0.0 {
        return Some(format!("{} is below zero: {refused}", amount.text));
    }
    if is_extended(amount.resource) && value.fract() != 0.0 {
        return Some(format!(
            "{} is not a whole number, which an extended resource must be: {refused}",
            amount.text
        ));
    }
    None
}

/// What the API server says of a request beside its limit: above it, or, for an
/// extended resource, different from it.
fn request_problem(request: &Amount<'_>, limit: &Amount<'_>) -> Option<String> {
    let (r, l) = (request.value?, limit.value?);
    let refused = "the API server refuses the object";
    if is_extended(request.resource) && r != l {
        return Some(format!(
            "request {} differs from the limit {}, and an extended resource's must equal it: {refused}",
            request.text, limit.text
        ));
    }
    (r > l).then(|| {
        format!(
            "request {} is above the limit {}: {refused}",
            request.text, limit.text
        )
    })
}

/// Errors for every container resource limit or request under `spec` (a pod spec at
/// `spec_path`) that the API server's validation refuses: not a quantity, below zero,
/// a fraction of an extended resource, or a request above its limit. Such an object is
/// never admitted, so it is an error with its line rather than a finding.
pub fn check_container_resources(
    object: &Object,
    spec: &Node,
    spec_path: &FieldPath,
) -> Vec<LoadError> {
    let mut errors = Vec::new();
    let res = &object.resource;
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        let Some(items) = spec.get(list) else {
            continue;
        };
        for (i, container) in items.items().iter().enumerate() {
            let base = spec_path.key(list).index(i).key("resources");
            let (limits, requests) = (amounts(container, "limits"), amounts(container, "requests"));
            let mut report = |kind: &str, amount: &Amount<'_>, problem: String| {
                let path = base.key(kind).key(amount.resource);
                errors.push(LoadError::new(
                    &object.file,
                    Some(amount.node.pos),
                    LoadErrorKind::field(res, path, problem),
                ));
            };
            for (kind, amounts) in [("limits", &limits), ("requests", &requests)] {
                for amount in amounts.iter() {
                    if let Some(problem) = amount_problem(amount) {
                        report(kind, amount, problem);
                    }
                }
            }
            for request in &requests {
                let limit = limits.iter().find(|l| l.resource == request.resource);
                if let Some(problem) = limit.and_then(|l| request_problem(request, l)) {
                    report("requests", request, problem);
                }
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::{is_quantity, quantity_value};

    #[test]
    fn values_in_base_units() {
        for (text, value) in [
            ("1", 1.0),
            ("500m", 0.5),
            ("1Gi", 1073741824.0),
            ("2k", 2000.0),
            ("1e3", 1000.0),
            ("-1Gi", -1073741824.0),
            ("+1", 1.0),
            (".5", 0.5),
            ("100n", 1e-7),
            ("1.5Ki", 1536.0),
        ] {
            let got = quantity_value(text).unwrap();
            assert!((got - value).abs() <= value.abs() * 1e-12, "{text}: {got}");
        }
        assert_eq!(quantity_value("1e400"), Some(f64::INFINITY));
        assert_eq!(quantity_value("512MB"), None);
    }

    #[test]
    fn quantities_as_the_api_server_reads_them() {
        for ok in [
            "1", "500m", "1.5", "0.5Gi", "1Gi", "128Mi", "2k", "1e3", "1E-2", "+1", "-1", ".5",
            "100n", "3Ei",
        ] {
            assert!(is_quantity(ok), "{ok}");
        }
        for bad in [
            "${GPU}", "512MB", "1gi", "", "Gi", "1.2.3", "1e", "1K", "abc", "1 Gi", "1Gb",
        ] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }
}
