use super::*;

#[test]
fn job_ids() {
    for ok in ["sales_orders", "a", "A.b-c_9", "x".repeat(128).as_str()] {
        assert_eq!(job_id(ok), Ok(()), "{ok}");
    }
    for bad in [".hidden", ".", "..", "a b", "a/b", "a\\b", "é", "x;y"] {
        assert!(job_id(bad).is_err(), "{bad}");
    }
    assert_eq!(
        job_id(&"x".repeat(129)).map_err(|p| p.message),
        Err("is longer than 128 characters".to_string())
    );
    assert_eq!(
        job_id("a b").map_err(|p| p.message),
        Err("` ` is not allowed in a job_id".to_string())
    );
}

#[test]
fn identifiers_plain_and_quoted() {
    for ok in [
        "orders",
        "_x",
        "Straße",
        "col$1",
        "a#b",
        "\"My Table\"",
        "\"a\"\"b\"",
        "[Order Details]",
        "[a]]b]",
        "`odd name`",
        "`a``b`",
        "日付",
    ] {
        assert_eq!(identifier(ok), Ok(()), "{ok}");
    }
    for bad in [
        "",
        "1abc",
        "my table",
        "a;b",
        "a--b",
        "f(x)",
        "dbo.orders",
        "\"unterminated",
        "\"a\"b\"",
        "\"\"",
        "[]",
        "[a]b]",
        "\"tab\there\"",
        "id; DROP TABLE x",
        "$x",
    ] {
        let err = identifier(bad).expect_err(bad);
        assert!(
            err.message.ends_with("is not a plain or quoted name"),
            "{bad}"
        );
        assert!(err.hint.is_some());
    }
    assert!(identifier(&"a".repeat(128)).is_ok());
    assert!(identifier(&"a".repeat(129)).is_err());
    assert!(identifier(&format!("\"{}\"", "a".repeat(129))).is_err());
}

#[test]
fn name_lists_split_on_commas_outside_quotes() {
    assert_eq!(split_names("id"), Ok(vec!["id".to_string()]));
    assert_eq!(
        split_names(" id , line_no "),
        Ok(vec!["id".to_string(), "line_no".to_string()])
    );
    assert_eq!(
        split_names("\"a,b\",[c,d],`e,f`"),
        Ok(vec!["\"a,b\"".into(), "[c,d]".into(), "`e,f`".into()])
    );
    assert!(split_names("a,,b").is_err());
    assert!(split_names("a,").is_err());
}

#[test]
fn folder_paths_are_relative_and_normalised() {
    assert_eq!(folder_path("sales/orders"), Ok("sales/orders".into()));
    assert_eq!(folder_path("sales\\orders\\"), Ok("sales/orders".into()));
    assert_eq!(folder_path("a//./b/"), Ok("a/b".into()));
    let msg = |s: &str| folder_path(s).map_err(|p| p.message);
    assert_eq!(
        msg("/abs"),
        Err("must be a relative path (no leading / or \\)".into())
    );
    assert_eq!(
        msg("\\abs"),
        Err("must be a relative path (no leading / or \\)".into())
    );
    assert_eq!(
        msg("C:\\data"),
        Err("must be a relative path (no drive letter)".into())
    );
    assert_eq!(
        msg("c:data"),
        Err("must be a relative path (no drive letter)".into())
    );
    assert_eq!(msg("a/../b"), Err("must not contain a `..` segment".into()));
    assert_eq!(msg(".."), Err("must not contain a `..` segment".into()));
    assert_eq!(msg("./"), Err("must name a folder".into()));
    assert!(folder_path("a..b/c").is_ok());
}

#[test]
fn azure_container_names() {
    for ok in ["raw", "raw-data", "a1b", &"a".repeat(63)] {
        assert_eq!(azure_container(ok), Ok(()), "{ok}");
    }
    for bad in [
        "ab",
        "Raw",
        "raw--data",
        "-raw",
        "raw-",
        "raw_data",
        "raw data",
        &"a".repeat(64),
    ] {
        assert!(azure_container(bad).is_err(), "{bad}");
    }
}

#[test]
fn local_container_names() {
    for ok in ["raw", "Raw Data", "a_b", "x.y"] {
        assert_eq!(local_container(ok), Ok(()), "{ok}");
    }
    for bad in [".", "..", "a/b", "a\\b", "../x", "C:"] {
        assert!(local_container(bad).is_err(), "{bad}");
    }
}

#[test]
fn source_queries() {
    assert_eq!(
        source_query("select * from t;"),
        Ok("select * from t".into())
    );
    assert_eq!(
        source_query("  WITH x AS (SELECT 1) SELECT * FROM x ; \n"),
        Ok("WITH x AS (SELECT 1) SELECT * FROM x".into())
    );
    assert!(source_query("SELECTED").is_err());
    assert!(source_query("DELETE FROM t").is_err());
    assert!(source_query("(SELECT 1)").is_err());
}

proptest::proptest! {
    #[test]
    fn valid_plain_names_pass(s in "[A-Za-z_][A-Za-z0-9_$#]{0,100}") {
        proptest::prop_assert!(identifier(&s).is_ok());
    }

    #[test]
    fn any_quoted_name_with_doubled_quotes_passes(s in "[a-z ;()\\-.\"]{1,60}") {
        proptest::prop_assume!(!s.trim().is_empty());
        let quoted = format!("\"{}\"", s.replace('"', "\"\""));
        proptest::prop_assert!(identifier(&quoted).is_ok());
    }

    #[test]
    fn rules_never_panic(s in "\\PC{0,40}") {
        let _ = identifier(&s);
        let _ = job_id(&s);
        let _ = split_names(&s);
        let _ = folder_path(&s);
        let _ = azure_container(&s);
        let _ = local_container(&s);
        let _ = source_query(&s);
    }

    #[test]
    fn normalised_folder_paths_never_escape(s in "[a./\\\\:]{0,20}") {
        if let Ok(p) = folder_path(&s) {
            proptest::prop_assert!(!p.starts_with('/'));
            proptest::prop_assert!(!p.split('/').any(|seg| seg == ".." || seg.is_empty()));
        }
    }
}

#[test]
fn shown_escapes_invisible_characters_and_cuts_long_values() {
    assert_eq!(shown("orders"), "orders");
    assert_eq!(shown("a\\b\"c"), "a\\b\"c");
    assert_eq!(shown("a\0b\tc"), "a\\0b\\tc");
    assert_eq!(shown("abc\u{202e}"), "abc\\u{202e}");
    assert_eq!(shown("\u{301}"), "\\u{301}");
    assert_eq!(shown("📈"), "📈");
    let long = shown(&"x".repeat(1 << 20));
    assert_eq!(long, format!("{}… (1048576 characters)", "x".repeat(60)));
    // Messages quoting values use it.
    let p = identifier(&"a b".repeat(100_000)).unwrap_err();
    assert!(p.message.len() < 200, "{}", p.message);
    assert_eq!(
        job_id("a\u{202e}b").unwrap_err().message,
        "`\\u{202e}` is not allowed in a job_id"
    );
}

#[test]
fn sources_need_the_keys_to_connect() {
    use crate::config::secrets::SourceSecret;
    let mut secrets = Secrets::default();
    let mut add = |name: &str, s: SourceSecret| secrets.sources.insert(name.into(), s);
    add("my", SourceSecret::default());
    add(
        "my_url",
        SourceSecret {
            url: Some(crate::config::secrets::Secret::new("mysql://h/db")),
            ..SourceSecret::default()
        },
    );
    add(
        "ora",
        SourceSecret {
            host: Some("h".into()),
            ..SourceSecret::default()
        },
    );
    add(
        "ora_ok",
        SourceSecret {
            host: Some("h".into()),
            sid: Some("XE".into()),
            username: Some("u".into()),
            password: Some(crate::config::secrets::Secret::new("p")),
            ..SourceSecret::default()
        },
    );
    add("lite", SourceSecret::default());
    let msg = |name, ty| {
        source_section(&secrets, name, ty)
            .map(|_| ())
            .map_err(|p| p.message)
    };
    assert_eq!(
        msg("my", SourceType::MySql),
        Err("[sources.my] has no `host` (or `url`)".into())
    );
    assert_eq!(
        msg("my", SourceType::MsSql),
        Err("[sources.my] has no `host` (or `url`)".into())
    );
    assert_eq!(msg("my", SourceType::PostgreSql), Ok(()));
    assert_eq!(msg("my_url", SourceType::MySql), Ok(()));
    assert!(
        msg("ora", SourceType::Oracle)
            .unwrap_err()
            .contains("service_name")
    );
    assert_eq!(msg("ora_ok", SourceType::Oracle), Ok(()));
    assert_eq!(
        msg("lite", SourceType::Sqlite),
        Err("[sources.lite] has no `path` (the database file)".into())
    );
}
