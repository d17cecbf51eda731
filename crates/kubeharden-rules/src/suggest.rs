//! "Did you mean": the closest known name to a misspelt one.

/// How alike two names must be (Jaro-Winkler) to offer one for the other: a typo or
/// two in a short name, not any name of the same length.
const ALIKE: f64 = 0.8;

/// `; did you mean "json"?` for `jsno` among `known`, or nothing when no name is close.
pub fn did_you_mean<'a>(given: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let given = given.to_ascii_lowercase();
    let alike = |name: &str| strsim::jaro_winkler(&given, &name.to_ascii_lowercase());
    let scored: Vec<(f64, &str)> = known
        .into_iter()
        .map(|name| (alike(name), name))
        .filter(|(score, _)| *score >= ALIKE)
        .collect();
    // Of equally close names, the first listed (the lowest rule ID).
    scored
        .into_iter()
        .rev()
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| format!("; did you mean {name:?}?"))
        .unwrap_or_default()
}

/// Every rule's ID and name.
pub fn rule_names() -> impl Iterator<Item = &'static str> {
    crate::registry::all_rules()
        .iter()
        .flat_map(|r| [r.def.id, r.def.name])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_the_closest_name_only_when_close() {
        let formats = ["text", "json", "sarif", "junit", "policyreport"];
        assert_eq!(did_you_mean("jsno", formats), "; did you mean \"json\"?");
        assert_eq!(did_you_mean("SARIF2", formats), "; did you mean \"sarif\"?");
        assert_eq!(did_you_mean("xml", formats), "");
    }
}
