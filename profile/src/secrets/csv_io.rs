//! Logins to and from the CSV files browsers export: Firefox writes `url, username, password,
//! httpRealm, formActionOrigin, guid, timeCreated, timeLastUsed, timePasswordChanged`, Chrome
//! `name, url, username, password, note`. Columns are found by their header, so either reads,
//! and Clef writes Firefox's (Chrome imports it too).

use super::{PASSWORD, Secret, origin_of};

/// The logins a CSV file holds, and the rows that could not be read (line number, why).
#[derive(Debug, Default)]
pub struct CsvImport {
    pub logins: Vec<Secret>,
    pub broken: Vec<(u64, String)>,
}

/// Read an exported logins file. `Err` when it is not one (no `url` and `password` columns).
pub fn parse_csv(text: &str) -> Result<CsvImport, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|error| format!("not a CSV file: {error}"))?
        .clone();
    let column = |name: &str| {
        headers.iter().position(|header| {
            header
                .trim_start_matches('\u{feff}')
                .eq_ignore_ascii_case(name)
        })
    };
    let (Some(url_at), Some(password_at)) = (column("url"), column("password")) else {
        return Err(
            "not a logins file: the first row must name the columns, among them url and password"
                .to_owned(),
        );
    };
    let username_at = column("username");
    let created_at = column("timeCreated");
    let mut import = CsvImport::default();
    for (index, row) in reader.records().enumerate() {
        // The header is line 1.
        let line = index as u64 + 2;
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                import.broken.push((line, error.to_string()));
                continue;
            }
        };
        if row.iter().all(str::is_empty) {
            continue;
        }
        let field = |at: Option<usize>| at.and_then(|at| row.get(at)).unwrap_or("").to_owned();
        let url = field(Some(url_at));
        let Some(origin) = origin_of(&url) else {
            import
                .broken
                .push((line, format!("{url:?} is not a web address")));
            continue;
        };
        let password = row.get(password_at).unwrap_or("");
        if password.is_empty() {
            import.broken.push((line, "no password".to_owned()));
            continue;
        }
        let created = field(created_at)
            .parse::<i64>()
            .map(|millis| millis / 1000)
            .unwrap_or_else(|_| crate::now());
        import.logins.push(Secret {
            origin,
            kind: PASSWORD.to_owned(),
            username: field(username_at),
            value: password.to_owned(),
            created,
        });
    }
    Ok(import)
}

/// The logins among `secrets` as Firefox's CSV export.
pub fn export_csv(secrets: &[Secret]) -> Result<String, String> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    let header = [
        "url",
        "username",
        "password",
        "httpRealm",
        "formActionOrigin",
        "guid",
        "timeCreated",
        "timeLastUsed",
        "timePasswordChanged",
    ];
    writer
        .write_record(header)
        .map_err(|error| error.to_string())?;
    for login in secrets.iter().filter(|secret| secret.kind == PASSWORD) {
        let millis = (login.created * 1000).to_string();
        writer
            .write_record([
                login.origin.as_str(),
                &login.username,
                &login.value,
                "",
                login.origin.as_str(),
                "",
                &millis,
                &millis,
                &millis,
            ])
            .map_err(|error| error.to_string())?;
    }
    let bytes = writer.into_inner().map_err(|error| error.to_string())?;
    String::from_utf8(bytes).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_firefox_and_chrome_exports_and_counts_broken_rows() {
        let firefox = "\"url\",\"username\",\"password\",\"httpRealm\",\"formActionOrigin\",\"guid\",\"timeCreated\",\"timeLastUsed\",\"timePasswordChanged\"\n\
            \"https://example.com\",\"élodie\",\"p, w\"\"d\",,\"https://example.com\",\"{x}\",\"1700000000000\",\"1\",\"1\"\n\
            \"not a url\",\"a\",\"b\"\n\
            \"https://nopass.example\",\"a\",\"\"\n";
        let import = parse_csv(firefox).expect("firefox csv");
        assert_eq!(import.logins.len(), 1);
        assert_eq!(import.logins[0].username, "élodie");
        assert_eq!(import.logins[0].value, "p, w\"d");
        assert_eq!(import.logins[0].created, 1_700_000_000);
        assert_eq!(
            import
                .broken
                .iter()
                .map(|(line, _)| *line)
                .collect::<Vec<_>>(),
            vec![3, 4]
        );

        let chrome =
            "name,url,username,password,note\nex,https://a.example:8443/login,bob,s3cret,\n";
        let import = parse_csv(chrome).expect("chrome csv");
        assert_eq!(import.logins[0].origin, "https://a.example:8443");
        assert_eq!(import.logins[0].value, "s3cret");
        assert!(parse_csv("a,b\n1,2\n").is_err());
    }

    #[test]
    fn export_reads_back() {
        let logins = vec![Secret::login("https://example.com", "ann", "x\"y,z")];
        let text = export_csv(&logins).expect("export");
        let back = parse_csv(&text).expect("read back");
        assert_eq!(back.logins[0].value, "x\"y,z");
        assert_eq!(back.logins[0].username, "ann");
        assert!(back.broken.is_empty());
    }
}
