//! Tests for secrets.toml loading.

use super::*;
use crate::config::{Issue, Location, Severity};
use std::path::Path;

const PASSWORD: &str = "Pa55-very-secret";
const ACCOUNT_KEY: &str = "QUNDT1VOVEtFWQ==";
const SAS: &str = "sv=2024&sig=topsecretsig";
const CLIENT_SECRET: &str = "cl13nt-s3cr3t";
const URL: &str = "postgres://u:urlpass@h/db";

fn write(dir: &Path, text: &str) -> std::path::PathBuf {
    let p = dir.join("secrets.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn load_text(text: &str, env: &[(&str, &str)]) -> (tempfile::TempDir, Secrets, Vec<Issue>) {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), text);
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    let (s, issues) = load_with_env(&p, env).unwrap();
    (dir, s, issues)
}

fn keys(issues: &[Issue]) -> Vec<String> {
    issues
        .iter()
        .map(|i| match &i.at {
            Location::File { key, .. } => key.clone(),
            other => other.to_string(),
        })
        .collect()
}

fn assert_no_secret(text: &str) {
    for s in [PASSWORD, ACCOUNT_KEY, SAS, CLIENT_SECRET, URL, "urlpass"] {
        assert!(!text.contains(s), "secret {s:?} leaked in {text}");
    }
}

fn valid() -> String {
    format!(
        r#"
[sources.sales_db]
type = "postgresql"
host = "db.example.com"
port = 5432
database = "sales"
username = "etl"
password = "{PASSWORD}"

[sources.pg_url]
url = "{URL}"

[sources.demo]
type = "sqlite"
path = "demo.sqlite"

[destinations.adls]
storage_account_name = "acct"
container_name = "raw"
storage_account_key = "{ACCOUNT_KEY}"
max_retries = 5

[destinations.sas]
storage_account_name = "acct"
sas_token = "{SAS}"

[destinations.sp]
storage_account_name = "acct"
tenant_id = "t"
client_id = "c"
client_secret = "{CLIENT_SECRET}"

[destinations.wi]
storage_account_name = "acct"
tenant_id = "t"
client_id = "c"
federated_token_file = "token.jwt"

[destinations.local]
path = "output"
"#
    )
}

#[test]
fn valid_file_loads_and_resolves_paths() {
    let (dir, s, issues) = load_text(&valid(), &[]);
    assert!(issues.is_empty(), "{issues:?}");
    let db = &s.sources["sales_db"];
    assert_eq!(db.port, Some(5432));
    assert_eq!(db.password.as_ref().map(Secret::expose), Some(PASSWORD));
    assert_eq!(
        s.sources["demo"].path.as_deref(),
        Some(dir.path().join("demo.sqlite").as_path())
    );
    assert_eq!(
        s.destinations["local"].path.as_deref(),
        Some(dir.path().join("output").as_path())
    );
    let wi = &s.destinations["wi"];
    assert_eq!(
        wi.federated_token_file.as_deref(),
        Some(dir.path().join("token.jwt").as_path())
    );
    assert_eq!(s.destinations["adls"].max_retries, Some(5));
    assert_eq!(s.destination("ADLS").map(|(n, _)| n), Some("adls"));
    assert_no_secret(&format!("{s:?}"));
}

#[test]
fn absolute_paths_are_kept() {
    let abs = std::env::temp_dir().join("x.sqlite");
    let text = format!("[sources.demo]\npath = {:?}\n", abs.to_string_lossy());
    let (_d, s, issues) = load_text(&text, &[]);
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(s.sources["demo"].path.as_deref(), Some(abs.as_path()));
}

#[test]
fn structure_issues_name_the_exact_key() {
    let text = format!(
        r#"
[source.x]
a = 1

[sources.db]
host = "h"
pasword = "{PASSWORD}"

[sources.p]
port = "x"

[sources.big]
port = 70000

[sources.t]
type = "db2"

[sources.ok]
type = "mysql"

[destinations.both]
path = "out"
storage_account_name = "acct"

[destinations.none]
storage_account_name = "acct"

[destinations.two]
storage_account_name = "acct"
storage_account_key = "{ACCOUNT_KEY}"
sas_token = "{SAS}"

[destinations.noacct]
use_azure_cli = true

[destinations.emu]
use_emulator = true

[destinations.sp]
storage_account_name = "acct"
client_secret = "{CLIENT_SECRET}"

[destinations.bad]
use_emulator = "yes"
"#
    );
    let (_d, s, issues) = load_text(&text, &[]);
    let k = keys(&issues);
    for expected in [
        "source",
        "sources.db.pasword",
        "sources.p.port",
        "sources.big.port",
        "sources.t.type",
        "destinations.both.path",
        "destinations.none",
        "destinations.two",
        "destinations.noacct.storage_account_name",
        "destinations.sp.tenant_id",
        "destinations.sp.client_id",
        "destinations.bad.use_emulator",
    ] {
        assert!(
            k.iter().any(|x| x == expected),
            "missing issue at {expected}: {k:?}"
        );
    }
    assert_eq!(issues.len(), 12, "{issues:#?}");
    assert!(issues.iter().all(|i| i.severity == Severity::Error));
    let typo = issues.iter().find(|i| i.column == "pasword").unwrap();
    assert_eq!(typo.hint.as_deref(), Some("did you mean `password`?"));
    let top = issues.iter().find(|i| i.column == "source").unwrap();
    assert_eq!(top.hint.as_deref(), Some("did you mean `sources`?"));
    let two = issues
        .iter()
        .find(|i| i.message.contains("several"))
        .unwrap();
    assert!(
        two.message.contains("[destinations.two]"),
        "{}",
        two.message
    );
    // Bad sections are left out, good ones kept.
    assert!(!s.sources.contains_key("db") && !s.sources.contains_key("p"));
    assert!(s.sources.contains_key("ok") && s.destinations.contains_key("emu"));
    assert!(!s.destinations.contains_key("bad"));
    for i in &issues {
        assert_no_secret(&format!("{i:?} {}", i.message));
    }
}

#[test]
fn env_overrides_password_and_port() {
    let text = "[sources.Sales_DB]\nhost = \"h\"\nport = 1\n";
    let env = [
        ("INGEST__SOURCES__SALES_DB__PASSWORD", PASSWORD),
        ("ingest__sources__sales_db__port", "6543"),
        ("INGEST__DESTINATIONS__NEW__PATH", "out"),
        ("INGEST__DESTINATIONS__NEW__CREATE_CONTAINER", "true"),
        ("OTHER", "x"),
    ];
    let (dir, s, issues) = load_text(text, &env);
    assert!(issues.is_empty(), "{issues:?}");
    let db = &s.sources["Sales_DB"];
    assert_eq!(db.password.as_ref().map(Secret::expose), Some(PASSWORD));
    assert_eq!(db.port, Some(6543));
    assert_eq!(
        s.destinations["new"].path.as_deref(),
        Some(dir.path().join("out").as_path())
    );
    assert_eq!(s.destinations["new"].create_container, Some(true));
}

#[test]
fn bad_env_values_are_issues_without_the_value() {
    let env = [
        ("INGEST__SOURCES__DB__PORT", PASSWORD),
        ("INGEST__SOURCES__DB__PASSWROD", PASSWORD),
        ("INGEST__SOMETHING", PASSWORD),
        ("INGEST__SOURCES__DB", PASSWORD),
    ];
    let (_d, _s, issues) = load_text("", &env);
    assert_eq!(issues.len(), 4, "{issues:#?}");
    let port = issues.iter().find(|i| i.column == "port").unwrap();
    assert!(port.message.contains("INGEST__SOURCES__DB__PORT"));
    assert_eq!(port.severity, Severity::Error);
    let typo = issues.iter().find(|i| i.column == "passwrod").unwrap();
    assert_eq!(typo.hint.as_deref(), Some("did you mean `password`?"));
    let warnings = issues
        .iter()
        .filter(|i| i.severity == Severity::Warning)
        .count();
    assert_eq!(warnings, 2);
    for i in &issues {
        assert_no_secret(&format!("{i:?}"));
    }
}

#[test]
fn malformed_toml_gives_line_and_column_but_not_the_line() {
    let text = format!("[sources.db]\nhost = \"h\"\npassword = \"{PASSWORD}\" oops\n");
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), &text);
    let err = load_with_env(&p, Vec::new()).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, SecretsError::Malformed { line: 3, .. }),
        "{err:?}"
    );
    assert!(msg.contains("line 3, column"), "{msg}");
    assert!(msg.contains("secrets.toml"), "{msg}");
    assert_no_secret(&msg);
    assert_no_secret(&format!("{err:?}"));
}

#[test]
fn file_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let err = load_with_env(&missing, Vec::new()).unwrap_err();
    assert!(matches!(err, SecretsError::Missing { .. }));
    assert!(err.to_string().contains("nope.toml") && err.to_string().contains("generate-sample"));
    let bin = dir.path().join("bin.toml");
    std::fs::write(&bin, [0xff, 0xfe, 0x00]).unwrap();
    let err = load_with_env(&bin, Vec::new()).unwrap_err();
    assert!(matches!(err, SecretsError::NotUtf8 { .. }), "{err:?}");
    let err = load_with_env(dir.path(), Vec::new()).unwrap_err();
    assert!(matches!(err, SecretsError::Unreadable { .. }), "{err:?}");
}

#[test]
fn line_col_counts_characters() {
    assert_eq!(load::line_col("ab\ncé d", 7), (2, 4));
    assert_eq!(load::line_col("x", 99), (1, 2));
}

#[test]
fn type_sections_are_found_under_every_spelling_of_the_type() {
    use crate::config::SourceType;
    let (_d, s, issues) = load_text(
        "[sources.postgres]\nhost = \"pg\"\n\n[sources.SQLServer]\nhost = \"ms\"\n\n\
         [sources.mariadb]\nhost = \"maria\"\n",
        &[],
    );
    assert!(issues.is_empty(), "{issues:?}");
    for (ty, section) in [
        (SourceType::PostgreSql, "postgres"),
        (SourceType::MsSql, "SQLServer"),
        (SourceType::MySql, "mariadb"),
    ] {
        let found = s.source_for("missing_name", ty).map(|(n, _)| n);
        assert_eq!(found, Some(section), "{ty}");
    }
    assert!(s.source_for("missing_name", SourceType::Oracle).is_none());
    // The named section wins; then the canonical spelling of the type.
    let (_d, s, _) = load_text(
        "[sources.mysql]\nhost = \"a\"\n\n[sources.mariadb]\nhost = \"b\"\n\n[sources.shop]\ntype = \"mysql\"\nhost = \"c\"\n",
        &[],
    );
    assert_eq!(
        s.source_for("x", SourceType::MySql).map(|(n, _)| n),
        Some("mysql")
    );
    assert_eq!(
        s.source_for("SHOP", SourceType::MySql).map(|(n, _)| n),
        Some("shop")
    );
}

#[test]
fn an_empty_password_is_no_password() {
    let (_d, s, issues) = load_text(
        "[sources.a]\ntype = \"mysql\"\nhost = \"h\"\npassword = \"\"\n\n[sources.b]\ntype = \"mysql\"\nhost = \"h\"\npassword = \"pw\"\n\n[sources.c]\ntype = \"mysql\"\nhost = \"h\"\n",
        &[],
    );
    assert!(issues.is_empty(), "{issues:?}");
    let pw = |n: &str| {
        s.sources[n]
            .login_password()
            .map(|p| p.expose().to_string())
    };
    assert_eq!(pw("a"), None);
    assert_eq!(pw("b"), Some("pw".to_string()));
    assert_eq!(pw("c"), None);
    // An empty override from the environment means the same.
    let (_d, s, _) = load_text(
        "[sources.b]\ntype = \"mysql\"\nhost = \"h\"\npassword = \"pw\"\n",
        &[("INGEST__SOURCES__B__PASSWORD", "")],
    );
    assert_eq!(s.sources["b"].login_password(), None);
}

#[test]
fn query_timeout_secs_is_a_positive_whole_number_of_seconds() {
    let text = "[sources.pg]\ntype = \"postgresql\"\nhost = \"h\"\nquery_timeout_secs = 90\n\
                [sources.ora]\ntype = \"oracle\"\nquery_timeout_secs = 0\n\
                [sources.ms]\ntype = \"mssql\"\nquery_timeout_secs = \"60\"\n\
                [sources.lite]\ntype = \"sqlite\"\nquery_timeout_secs = 2147484\n\
                [sources.none]\ntype = \"mysql\"\n";
    let (_d, s, issues) = load_text(text, &[("INGEST__SOURCES__NONE__QUERY_TIMEOUT_SECS", "5")]);
    assert_eq!(s.sources["pg"].query_timeout_secs, Some(90));
    assert_eq!(
        s.sources["pg"].query_timeout(),
        Some(std::time::Duration::from_secs(90))
    );
    assert_eq!(
        s.sources["none"].query_timeout_secs,
        Some(5),
        "env override"
    );
    let mut bad = keys(&issues);
    bad.sort();
    assert_eq!(
        bad,
        [
            "sources.lite.query_timeout_secs",
            "sources.ms.query_timeout_secs",
            "sources.ora.query_timeout_secs"
        ],
        "{issues:#?}"
    );
    let zero = issues.iter().find(|i| i.message.contains("ora")).unwrap();
    assert!(zero.message.contains("positive"), "{zero:?}");
    let (_d, s, issues) = load_text("[sources.x]\ntype = \"sqlite\"\n", &[]);
    assert!(issues.is_empty());
    assert_eq!(s.sources["x"].query_timeout(), None, "default: no limit");
}

#[test]
fn variables_are_strings_under_free_names_and_values_are_never_quoted() {
    let text = format!(
        "{}\n[variables]\nregion = \"emea\"\nyyyy = \"1999\"\ncount = 3\nbad = \"{PASSWORD}\\n\"\n",
        valid()
    );
    let (_d, s, issues) = load_text(&text, &[]);
    assert_eq!(s.variables.len(), 1, "{:?}", s.variables);
    assert_eq!(s.variables["region"], "emea");
    assert_eq!(
        keys(&issues),
        ["variables.bad", "variables.count", "variables.yyyy"]
    );
    let all: String = issues.iter().map(|i| format!("{i:?}")).collect();
    assert_no_secret(&all);
    assert!(all.contains("built-in"), "{all}");
    assert!(all.contains("must be a string"), "{all}");
}

#[test]
fn destination_rules_are_reported_at_their_keys_by_validation() {
    // The same rules refuse the section when the destination is built (one place for both).
    let text = "[destinations.a]\nstorage_account_name = \"acct\"\nuse_azure_cli = true\n\
                part_size_mib = 0\nupload_concurrency = 0\n\
                [destinations.b]\nstorage_account_name = \"acct\"\nclient_secret = \"x\"\n";
    let (_d, s, issues) = load_text(text, &[]);
    let mut bad = keys(&issues);
    bad.sort();
    assert_eq!(
        bad,
        [
            "destinations.a.part_size_mib",
            "destinations.a.upload_concurrency",
            "destinations.b.client_id",
            "destinations.b.tenant_id"
        ],
        "{issues:#?}"
    );
    for name in ["a", "b"] {
        let built = crate::sink::store::Destination::from_secret(name, &s.destinations[name]);
        assert!(built.is_err(), "{name}");
    }
}
