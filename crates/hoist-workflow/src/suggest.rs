//! "Did you mean" suggestions for misspelled names.

/// The closest candidate to `name`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&lower, &c.to_ascii_lowercase());
        let distance = strsim::levenshtein(&lower, &c.to_ascii_lowercase());
        let close = score >= 0.85 || (distance <= 2 && c.len() > 3) || lower.replace('_', "-") == c;
        if close && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_names_only() {
        let keys = ["runs-on", "needs", "steps", "timeout-minutes"];
        assert_eq!(did_you_mean("run-on", keys), Some("runs-on"));
        assert_eq!(
            did_you_mean("timeout_minutes", keys),
            Some("timeout-minutes")
        );
        assert_eq!(did_you_mean("step", keys), Some("steps"));
        assert_eq!(did_you_mean("banana", keys), None);
    }
}
