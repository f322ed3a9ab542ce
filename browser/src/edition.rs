//! The edition this binary was built as (see `build.rs` and `resources/edition/clef.toml`):
//! a company's own name, start page, built-in policy and model pin, fixed at build time.

include!(concat!(env!("OUT_DIR"), "/edition.rs"));

#[cfg(test)]
#[path = "edition_file.rs"]
mod edition_file;

#[cfg(test)]
mod tests {
    use super::edition_file::parse_edition;

    #[test]
    fn edition_files_are_checked() {
        let edition = parse_edition(
            "# Acme\nname = \"Acme Browser\"\nstart_page = \"https://intranet.acme.example/\"\n",
        )
        .expect("valid");
        assert_eq!(edition.name, "Acme Browser");
        assert_eq!(edition.start_page, "https://intranet.acme.example/");
        assert!(
            parse_edition("start_page = \"x\"").is_err(),
            "a name is required"
        );
        assert!(parse_edition("name = \"A\"\nmodel_sha256 = \"abc\"").is_err());
        assert!(
            parse_edition("name = \"A\"\ncolour = \"red\"")
                .unwrap_err()
                .contains("colour")
        );
        assert!(parse_edition("name = A").is_err());
    }

    #[test]
    fn the_default_edition_is_clef() {
        assert_eq!(super::NAME, "Clef");
        assert_eq!(super::MODEL_SHA256, None);
        assert_eq!(super::POLICIES, None);
    }
}
