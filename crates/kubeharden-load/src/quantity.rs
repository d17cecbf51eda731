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

/// Errors for every container resource limit or request under `spec` (a pod spec at
/// `spec_path`) that is not a quantity.
pub fn check_container_resources(
    object: &Object,
    spec: &Node,
    spec_path: &FieldPath,
) -> Vec<LoadError> {
    let mut errors = Vec::new();
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        let Some(items) = spec.get(list) else {
            continue;
        };
        for (i, container) in items.items().iter().enumerate() {
            for kind in ["limits", "requests"] {
                let Some(values) = container.get("resources").and_then(|r| r.get(kind)) else {
                    continue;
                };
                for entry in values.entries() {
                    let Some(Resolved::Str(text)) = entry.value.resolved() else {
                        continue;
                    };
                    if is_quantity(text) {
                        continue;
                    }
                    let key = entry.key.scalar_text().unwrap_or("?");
                    let path = spec_path
                        .key(list)
                        .index(i)
                        .key("resources")
                        .key(kind)
                        .key(key);
                    let res = &object.resource;
                    errors.push(LoadError::new(
                        &object.file,
                        Some(entry.value.pos),
                        // Like every type error, the value is withheld: the line
                        // and column show it to whoever may see it.
                        LoadErrorKind::field(
                            res,
                            path,
                            "not a quantity (such as 500m, 2, 1Gi; value withheld)",
                        ),
                    ));
                }
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::is_quantity;

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
