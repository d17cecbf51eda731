//! The rows of the NSA/CISA guidance checklist that rules name (`POD-12`), with a
//! title each in our own words, shipped with the binary so that reports and
//! `kubeharden explain` can say what a row asks without the checklist at hand.

/// `ID<TAB>title` lines, in the checklist's order.
const ROWS: &str = include_str!("../data/guidance_rows.tsv");

/// Every row: its ID and title, in the checklist's order.
pub fn guidance_rows() -> impl Iterator<Item = (&'static str, &'static str)> {
    ROWS.lines().filter_map(|line| line.split_once('\t'))
}

/// The title of row `id` (`POD-12`), if it is one.
pub fn guidance_title(id: &str) -> Option<&'static str> {
    guidance_rows()
        .find(|(row, _)| row.eq_ignore_ascii_case(id))
        .map(|(_, title)| title)
}

/// The row `id` as the checklist spells it (`pod-12` is `POD-12`), if it is one.
pub fn guidance_row(id: &str) -> Option<&'static str> {
    guidance_rows()
        .find(|(row, _)| row.eq_ignore_ascii_case(id))
        .map(|(row, _)| row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_row_has_one_title() {
        let rows: Vec<_> = guidance_rows().collect();
        assert!(rows.len() > 100, "{}", rows.len());
        let mut ids: Vec<&str> = rows.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), rows.len(), "an ID twice");
        for (id, title) in rows {
            assert!(
                !title.trim().is_empty() && title.len() <= 70,
                "{id}: {title:?}"
            );
        }
        assert_eq!(guidance_row("pod-02"), Some("POD-02"));
        assert!(guidance_title("POD-02").is_some());
        assert_eq!(guidance_title("NOPE-1"), None);
    }
}
