//! Malformed secrets.toml files (and environment overrides) beside a good workbook.
//!
//! Every file holds the password `MARKER`; the runner fails a case whose output shows it.

use crate::malformed_support::V::S;
use crate::malformed_support::{
    Case, GOOD_SECRETS, MARKER, book, case, check_all, put, save, secrets,
};
use crate::support::{code, ingest, text};

/// The good sources and destination, then `extra` appended.
fn with(dir: &std::path::Path, extra: &str) -> std::path::PathBuf {
    secrets(dir, &format!("{GOOD_SECRETS}\n{extra}\n"))
}

/// Broken TOML and unreadable files: named by file (and line/column).
#[rustfmt::skip]
pub(crate) const FILE: &[Case] = &[
    case("unclosed_table_header", |d| secrets(d, "[sources.demo\npassword = \"MARKER-s3cr3t-9f2c\"\n"),
        "secrets.toml", "is not valid TOML at line 1, column 14"),
    case("unterminated_password_string", |d|
            secrets(d, "[sources.pg]\ntype = \"postgresql\"\npassword = \"MARKER-s3cr3t-9f2c\n"),
        "secrets.toml", "is not valid TOML at line 3"),
    case("trailing_garbage_after_password", |d|
            secrets(d, "[sources.pg]\npassword = \"MARKER-s3cr3t-9f2c\" junk\n"),
        "secrets.toml", "is not valid TOML at line 2"),
    case("raw_control_char_in_password", |d|
            secrets(d, "[sources.pg]\npassword = \"MARKER-s3cr3t-9f2c\u{1}\"\n"),
        "secrets.toml", "is not valid TOML at line 2"),
    case("duplicate_key", |d|
            with(d, "[sources.x]\ntype = \"mysql\"\nport = 1\nport = 2\n"),
        "secrets.toml", "is not valid TOML at line 18"),
    case("duplicate_table", |d| with(d, "[sources.demo]\ntype = \"sqlite\"\n"),
        "secrets.toml", "is not valid TOML at line 15"),
    case("invalid_utf8", |d| {
            std::fs::write(d.join("secrets.toml"), b"[sources.pg]\npassword = \"\xff\xfe\"\n").unwrap();
            save(d, book(|_| {}))
        },
        "secrets.toml", "is not UTF-8 text"),
    case("utf16_file", |d| {
            let b: Vec<u8> = "\u{feff}[sources.pg]\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
            std::fs::write(d.join("secrets.toml"), b).unwrap();
            save(d, book(|_| {}))
        },
        "secrets.toml", "is not UTF-8 text"),
    case("secrets_missing", |d| {
            std::fs::remove_file(d.join("secrets.toml")).unwrap();
            save(d, book(|_| {}))
        },
        "secrets.toml", "does not exist"),
    case("secrets_is_a_folder", |d| {
            std::fs::remove_file(d.join("secrets.toml")).unwrap();
            std::fs::create_dir(d.join("secrets.toml")).unwrap();
            save(d, book(|_| {}))
        },
        "secrets.toml", "cannot read secrets file"),
    // A BOM is accepted (Notepad writes one): the problem found is the one after it.
    case("bom_then_bad_port", |d|
            secrets(d, &format!("\u{feff}{GOOD_SECRETS}\n[sources.x]\ntype = \"mysql\"\nport = \"abc\"\n")),
        "secrets.toml:sources.x.port", "must be a non-negative integer, not string"),
];

/// Well-formed TOML with wrong structure or values: named by dotted key.
#[rustfmt::skip]
pub(crate) const KEYS: &[Case] = &[
    case("port_text", |d| with(d, "[sources.x]\ntype = \"mysql\"\nhost = \"h\"\nport = \"abc\""),
        "secrets.toml:sources.x.port", "`sources.x.port` must be a non-negative integer, not string"),
    case("port_too_big", |d| with(d, "[sources.x]\ntype = \"mysql\"\nhost = \"h\"\nport = 70000"),
        "secrets.toml:sources.x.port", "must be an integer from 0 to 65535"),
    case("port_negative", |d| with(d, "[sources.x]\ntype = \"mysql\"\nhost = \"h\"\nport = -1"),
        "secrets.toml:sources.x.port", "must be an integer from 0 to 65535"),
    case("port_float", |d| with(d, "[sources.x]\ntype = \"mysql\"\nhost = \"h\"\nport = 3306.0"),
        "secrets.toml:sources.x.port", "must be a non-negative integer, not float"),
    case("password_number", |d| with(d, "[sources.x]\ntype = \"mysql\"\nhost = \"h\"\npassword = 123"),
        "secrets.toml:sources.x.password", "must be a string, not integer"),
    case("encrypt_text", |d| with(d, "[sources.x]\ntype = \"mssql\"\nhost = \"h\"\nencrypt = \"yes\""),
        "secrets.toml:sources.x.encrypt", "must be true or false, not string"),
    case("number_scale_too_big", |d| with(d, "[sources.x]\ntype = \"oracle\"\nnumber_scale = 99"),
        "secrets.toml:sources.x.number_scale", "must be an integer from 0 to 38"),
    case("unknown_key_holding_password", |d|
            with(d, "[sources.x]\ntype = \"mysql\"\nhost = \"h\"\npasswrd = \"MARKER-s3cr3t-9f2c\""),
        "secrets.toml:sources.x.passwrd", "unknown key `passwrd` in [sources.x]"),
    case("unknown_destination_key", |d| with(d, "[destinations.lake]\npath = \"l\"\nformat = \"csv\""),
        "secrets.toml:destinations.lake.format", "unknown key `format`"),
    case("sources_not_a_table", |d| secrets(d, "sources = \"demo\"\n[destinations.output]\npath = \"o\"\n"),
        "secrets.toml:sources", "`sources` must be a table, not string"),
    case("source_not_a_table", |d| with(d, "[sources]\nx = 5"),
        "secrets.toml:sources.x", "`sources.x` must be a table, not integer"),
    case("destination_is_an_array", |d| with(d, "[[destinations.many]]\npath = \"a\""),
        "secrets.toml:destinations.many", "`destinations.many` must be a table, not array"),
    case("unknown_top_level_table", |d| with(d, "[source.x]\nhost = \"h\""),
        "secrets.toml:source", "unknown top-level table `source`"),
    case("unknown_source_type", |d| with(d, "[sources.x]\ntype = \"db2\"\nhost = \"h\""),
        "secrets.toml:sources.x.type", "[sources.x] has an unknown type `db2`"),
    case("mega_type_is_shortened", |d|
            with(d, &format!("[sources.x]\ntype = \"{}\"", "y".repeat(1 << 20))),
        "secrets.toml:sources.x.type", "characters)`"),
    case("destination_local_and_adls", |d|
            with(d, "[destinations.both]\npath = \"o\"\nstorage_account_name = \"acct\""),
        "secrets.toml:destinations.both.path", "has both `path` (local folder) and `storage_account_name`"),
    case("destination_without_auth", |d| with(d, "[destinations.lake]\nstorage_account_name = \"acct\""),
        "secrets.toml:destinations.lake", "has no authentication"),
    case("destination_two_auths", |d| with(d,
            "[destinations.lake]\nstorage_account_name = \"a\"\nsas_token = \"MARKER-s3cr3t-9f2c\"\nuse_azure_cli = true"),
        "secrets.toml:destinations.lake", "has several authentication kinds: sas_token, use_azure_cli"),
    case("env_port_not_a_number", |d| secrets(d, GOOD_SECRETS),
        "secrets.toml:sources.pg.port", "environment variable INGEST__SOURCES__PG__PORT must be a non-negative integer")
        .env(&[("INGEST__SOURCES__PG__PORT", "abc")]),
    case("env_port_too_big", |d| secrets(d, GOOD_SECRETS),
        "secrets.toml:sources.pg.port", "must be a non-negative integer")
        .env(&[("INGEST__SOURCES__PG__PORT", "70000")]),
    case("env_bool_maybe", |d| secrets(d, GOOD_SECRETS),
        "secrets.toml:destinations.output.create_container", "must be true or false")
        .env(&[("INGEST__DESTINATIONS__OUTPUT__CREATE_CONTAINER", "maybe")]),
    case("env_unknown_key_with_secret", |d| secrets(d, GOOD_SECRETS),
        "secrets.toml:sources.pg.passwd", "sets unknown key `passwd`")
        .env(&[("INGEST__SOURCES__PG__PASSWD", "MARKER-s3cr3t-9f2c")]),
];

/// Secrets that do not fit what the workbook asks for: named by the workbook cell.
#[rustfmt::skip]
pub(crate) const CROSS: &[Case] = &[
    case("empty_file", |d| secrets(d, ""),
        "SourceConfig!C2  source_name", "no [sources.demo] or [sources.sqlite] in secrets.toml"),
    case("empty_file_destination", |d| secrets(d, ""),
        "SourceConfig!N2  destination", "no [destinations.output] in secrets.toml"),
    case("workbook_names_missing_source", |d| save(d, book(|ws| put(ws, 3, "source_name", S("nosuch")))),
        "SourceConfig!C3  source_name", "no [sources.nosuch] or [sources.sqlite] in secrets.toml"),
    case("workbook_names_missing_destination", |d| save(d, book(|ws| put(ws, 4, "destination", S("lake")))),
        "SourceConfig!N4  destination", "no [destinations.lake] in secrets.toml"),
    case("type_differs_from_workbook", |d| save(d, book(|ws| put(ws, 3, "source_type", S("MySQL")))),
        "SourceConfig!C3  source_name", "[sources.demo] is a SQLite source, not MySQL"),
    case("mysql_source_without_host", |d| {
            secrets(d, &format!("{GOOD_SECRETS}\n[sources.my]\ntype = \"mysql\"\npassword = \"MARKER-s3cr3t-9f2c\"\n"));
            save(d, book(|ws| {
                put(ws, 3, "source_type", S("MySQL"));
                put(ws, 3, "source_name", S("my"));
            }))
        },
        "SourceConfig!C3  source_name", "[sources.my] has no `host` (or `url`)"),
    case("untyped_source_without_path", |d| {
            secrets(d, &format!("{GOOD_SECRETS}\n[sources.lite]\nhost = \"h\"\n"));
            save(d, book(|ws| put(ws, 3, "source_name", S("lite"))))
        },
        "SourceConfig!C3  source_name", "[sources.lite] has no `path`"),
    case("adls_container_name_invalid", |d| {
            secrets(d, "[sources.demo]\ntype = \"sqlite\"\npath = \"d.sqlite\"\n\
                        [destinations.output]\nstorage_account_name = \"acct\"\nuse_azure_cli = true\n");
            save(d, book(|ws| put(ws, 3, "target_container", S("Raw_Data"))))
        },
        "SourceConfig!H3  target_container", "`Raw_Data` is not a valid Azure container name"),
];

#[test]
fn broken_secrets_files_name_the_file_and_line() {
    check_all(FILE);
}

#[test]
fn wrong_secrets_keys_are_named_by_key() {
    check_all(KEYS);
}

#[test]
fn secrets_the_workbook_needs_are_named_by_cell() {
    check_all(CROSS);
}

/// A secrets file saved by Windows Notepad (UTF-8 with a BOM, CRLF line ends) is accepted.
#[test]
fn bom_and_crlf_secrets_validate() {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!("\u{feff}{}", GOOD_SECRETS.replace('\n', "\r\n"));
    std::fs::write(dir.path().join("secrets.toml"), toml).unwrap();
    save(dir.path(), book(|_| {}));
    let out = ingest(
        dir.path(),
        &["validate", "--config", "ingestion_config.xlsx"],
    );
    let t = text(&out);
    assert_eq!(code(&out), 0, "{t}");
    assert!(t.contains("ok: 3 jobs (3 enabled)"), "{t}");
    assert!(!t.contains(MARKER), "{t}");
}
