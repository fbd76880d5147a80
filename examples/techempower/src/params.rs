//! TechEmpower's rule for the query count: a whole number clamped to 1..=500; missing,
//! empty or not a number counts as 1.

/// The count given as `name` in the query string `query`, clamped to 1..=500.
pub fn count(query: Option<&str>, name: &str) -> usize {
    let value = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='));
    match value.map(str::parse::<i64>) {
        Some(Ok(n)) => n.clamp(1, 500) as usize,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn clamps_to_1_through_500_and_defaults_to_1() {
        let q = |s: &str| count(Some(s), "queries");
        assert_eq!(
            (q("queries=20"), q("queries=500"), q("queries=501")),
            (20, 500, 500)
        );
        assert_eq!((q("queries=0"), q("queries=-3"), q("queries=")), (1, 1, 1));
        assert_eq!((q("queries=foo"), q("queries=2x"), q("other=5")), (1, 1, 1));
        assert_eq!(
            (
                q("a=1&queries=7"),
                q("queriesx=9"),
                q("queries=99999999999999999999")
            ),
            (7, 1, 1)
        );
        assert_eq!(count(None, "queries"), 1);
        assert_eq!(count(Some("count=12"), "count"), 12);
    }
}
