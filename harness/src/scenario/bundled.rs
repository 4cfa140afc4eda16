//! The fixtures this repository ships in `fixtures/`, embedded in the library so that a
//! scenario copied into another crate loads even where no `fixtures/` folder is found.

/// The bytes of the bundled fixture `name` (a file name in `fixtures/`).
pub(crate) fn bundled_fixture(name: &str) -> Option<&'static [u8]> {
    Some(match name {
        "big.csv" => include_bytes!("../../../fixtures/big.csv"),
        "clicks.csv" => include_bytes!("../../../fixtures/clicks.csv"),
        "clicks.csv.gz" => include_bytes!("../../../fixtures/clicks.csv.gz"),
        "clicks.parquet" => include_bytes!("../../../fixtures/clicks.parquet"),
        "corrupt.csv.gz" => include_bytes!("../../../fixtures/corrupt.csv.gz"),
        "corrupt_footer.parquet" => include_bytes!("../../../fixtures/corrupt_footer.parquet"),
        "events_tab.csv" => include_bytes!("../../../fixtures/events_tab.csv"),
        "no_header.csv" => include_bytes!("../../../fixtures/no_header.csv"),
        "not_parquet.parquet" => include_bytes!("../../../fixtures/not_parquet.parquet"),
        "semicolon.csv" => include_bytes!("../../../fixtures/semicolon.csv"),
        "users.csv" => include_bytes!("../../../fixtures/users.csv"),
        "users.parquet" => include_bytes!("../../../fixtures/users.parquet"),
        "users_extra_column.csv" => include_bytes!("../../../fixtures/users_extra_column.csv"),
        "users_extra_column.parquet" => include_bytes!("../../../fixtures/users_extra_column.parquet"),
        "users_parquet_bytes.gz" => include_bytes!("../../../fixtures/users_parquet_bytes.gz"),
        "users_retyped.parquet" => include_bytes!("../../../fixtures/users_retyped.parquet"),
        _ => return None,
    })
}

/// The names of every bundled fixture.
pub const BUNDLED_FIXTURES: &[&str] = &[
    "big.csv",
    "clicks.csv",
    "clicks.csv.gz",
    "clicks.parquet",
    "corrupt.csv.gz",
    "corrupt_footer.parquet",
    "events_tab.csv",
    "no_header.csv",
    "not_parquet.parquet",
    "semicolon.csv",
    "users.csv",
    "users.parquet",
    "users_extra_column.csv",
    "users_extra_column.parquet",
    "users_parquet_bytes.gz",
    "users_retyped.parquet",
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_listed_fixture_is_bundled() {
        for name in super::BUNDLED_FIXTURES {
            assert!(super::bundled_fixture(name).is_some_and(|b| !b.is_empty()), "{name}");
        }
        assert!(super::bundled_fixture("nope.csv").is_none());
    }
}
