//! Tests for SQL generation (inlining in `inline_tests.rs`).

use super::inline::{literal, placeholders};
use super::*;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};

const ALL: [Dialect; 5] = [
    Dialect::Postgres,
    Dialect::MySql,
    Dialect::Sqlite,
    Dialect::MsSql,
    Dialect::Oracle,
];

fn table(schema: Option<&str>, t: &str, filter: Option<&str>) -> Relation {
    Relation {
        schema: schema.map(str::to_string),
        table: Some(t.to_string()),
        query: None,
        filter: filter.map(str::to_string),
    }
}

fn int(v: i128) -> CursorValue {
    CursorValue::Int(v)
}

fn chunk(from: Option<i128>, to: Option<i128>, nulls: bool) -> Chunk {
    Chunk {
        index: 0,
        column: "Id".into(),
        from: from.map(int),
        to: to.map(int),
        nulls,
    }
}

fn window(lo: Option<i128>, hi: i128) -> Window {
    Window {
        column: "Seq".into(),
        lo: lo.map(int),
        hi: int(hi),
    }
}

#[test]
fn quote_ident_per_dialect() {
    let cases: [(&str, [&str; 5]); 6] = [
        (
            "Orders",
            [
                "\"orders\"",
                "`Orders`",
                "\"Orders\"",
                "[Orders]",
                "\"ORDERS\"",
            ],
        ),
        (
            "\"Mixed Case\"",
            [
                "\"Mixed Case\"",
                "`Mixed Case`",
                "\"Mixed Case\"",
                "[Mixed Case]",
                "\"Mixed Case\"",
            ],
        ),
        (
            "\"a\"\"b\"",
            ["\"a\"\"b\"", "`a\"b`", "\"a\"\"b\"", "[a\"b]", "\"a\"\"b\""],
        ),
        (
            "[x]]y]",
            ["\"x]y\"", "`x]y`", "\"x]y\"", "[x]]y]", "\"x]y\""],
        ),
        (
            "`a``b`",
            ["\"a`b\"", "`a``b`", "\"a`b\"", "[a`b]", "\"a`b\""],
        ),
        (
            "a\"b",
            ["\"a\"\"b\"", "`a\"b`", "\"a\"\"b\"", "[a\"b]", "\"A\"\"B\""],
        ),
    ];
    for (name, expected) in cases {
        for (d, want) in ALL.iter().zip(expected) {
            assert_eq!(d.quote_ident(name), want, "{d:?} {name}");
        }
    }
}

#[test]
fn hostile_names_stay_inside_quotes() {
    for name in [
        "a\"b",
        "x]y",
        "a`b",
        "x]; DROP TABLE t; --",
        "\"a\" OR 1=1 --\"",
    ] {
        for d in ALL {
            let q = d.quote_ident(name);
            // The quoted name lexes as one token: no placeholder or comment escapes it, and
            // a `?`/`$1`/`@P1`/`:1` placed after it is still found.
            let probe = format!("{q} {}", d.placeholder(1));
            let found = placeholders(d, &probe);
            assert_eq!(found.len(), 1, "{d:?} {name} → {q}");
            let inner = &q[1..q.len() - 1];
            let close = q.chars().last().unwrap();
            let undoubled = inner.replace(&format!("{close}{close}"), "");
            assert!(!undoubled.contains(close), "{d:?} {name} → {q}");
        }
    }
}

#[test]
fn placeholders_per_dialect() {
    let got: Vec<_> = ALL.iter().map(|d| d.placeholder(12)).collect();
    assert_eq!(got, ["$12", "?", "?", "@P12", ":12"]);
}

#[test]
fn from_clause_shapes() {
    let rel = table(Some("Sales"), "Orders", None);
    assert_eq!(from_clause(Dialect::Postgres, &rel), "\"sales\".\"orders\"");
    assert_eq!(from_clause(Dialect::MsSql, &rel), "[Sales].[Orders]");
    assert_eq!(
        from_clause(Dialect::Oracle, &table(None, "t", None)),
        "\"T\""
    );
    let q = Relation {
        schema: None,
        table: None,
        query: Some("SELECT * FROM x -- note;\n;  ".into()),
        filter: None,
    };
    assert_eq!(
        from_clause(Dialect::MySql, &q),
        "(\nSELECT * FROM x -- note;\n) AS src"
    );
    assert_eq!(
        from_clause(Dialect::Oracle, &q),
        "(\nSELECT * FROM x -- note;\n) src"
    );
}

#[test]
fn select_table_per_dialect() {
    let rel = table(Some("s"), "t", Some("status = 'a' -- only active"));
    let w = window(Some(10), 20);
    let c = chunk(Some(1), Some(5), false);
    let expected = [
        "SELECT * FROM \"s\".\"t\" WHERE (\nstatus = 'a' -- only active\n) AND \"seq\" >= $1 AND \"seq\" <= $2 AND \"id\" >= $3 AND \"id\" < $4",
        "SELECT * FROM `s`.`t` WHERE (\nstatus = 'a' -- only active\n) AND `Seq` >= ? AND `Seq` <= ? AND `Id` >= ? AND `Id` < ?",
        "SELECT * FROM \"s\".\"t\" WHERE (\nstatus = 'a' -- only active\n) AND \"Seq\" >= ? AND \"Seq\" <= ? AND \"Id\" >= ? AND \"Id\" < ?",
        "SELECT * FROM [s].[t] WHERE (\nstatus = 'a' -- only active\n) AND [Seq] >= @P1 AND [Seq] <= @P2 AND [Id] >= @P3 AND [Id] < @P4",
        "SELECT * FROM \"S\".\"T\" WHERE (\nstatus = 'a' -- only active\n) AND \"SEQ\" >= :1 AND \"SEQ\" <= :2 AND \"ID\" >= :3 AND \"ID\" < :4",
    ];
    for (d, want) in ALL.iter().zip(expected) {
        let q = select_sql(*d, &rel, Some(&w), Some(&c));
        assert_eq!(q.sql, want, "{d:?}");
        let cols: Vec<_> = q
            .params
            .iter()
            .map(|p| (p.column.as_str(), p.value))
            .collect();
        assert_eq!(
            cols,
            [
                ("Seq", int(10)),
                ("Seq", int(20)),
                ("Id", int(1)),
                ("Id", int(5))
            ]
        );
    }
}

#[test]
fn every_chunk_shape() {
    let rel = table(None, "t", None);
    let d = Dialect::Postgres;
    let cases = [
        (chunk(None, None, true), "SELECT * FROM \"t\"", 0),
        (
            chunk(None, Some(5), true),
            "SELECT * FROM \"t\" WHERE (\"id\" < $1 OR \"id\" IS NULL)",
            1,
        ),
        (
            chunk(None, Some(5), false),
            "SELECT * FROM \"t\" WHERE \"id\" < $1",
            1,
        ),
        (
            chunk(Some(5), Some(9), false),
            "SELECT * FROM \"t\" WHERE \"id\" >= $1 AND \"id\" < $2",
            2,
        ),
        (
            chunk(Some(9), None, false),
            "SELECT * FROM \"t\" WHERE \"id\" >= $1",
            1,
        ),
        (
            chunk(Some(9), None, true),
            "SELECT * FROM \"t\" WHERE \"id\" >= $1",
            1,
        ),
    ];
    for (c, want, n) in cases {
        let q = select_sql(d, &rel, None, Some(&c));
        assert_eq!((q.sql.as_str(), q.params.len()), (want, n), "{c:?}");
    }
    let q = select_sql(d, &rel, Some(&window(None, 7)), None);
    assert_eq!(q.sql, "SELECT * FROM \"t\" WHERE \"seq\" <= $1");
}

#[test]
fn query_job_with_filter_and_window() {
    let rel = Relation {
        schema: None,
        table: None,
        query: Some("SELECT a, b FROM x WHERE c = '?' -- trailing".into()),
        filter: Some("b > 0 -- why".into()),
    };
    let q = select_sql(Dialect::MySql, &rel, Some(&window(Some(1), 2)), None);
    assert_eq!(
        q.sql,
        "SELECT * FROM (\nSELECT a, b FROM x WHERE c = '?' -- trailing\n) AS src WHERE (\nb > 0 -- why\n) AND `Seq` >= ? AND `Seq` <= ?"
    );
    assert_eq!(
        q.inline(Dialect::MySql),
        "SELECT * FROM (\nSELECT a, b FROM x WHERE c = '?' -- trailing\n) AS src WHERE (\nb > 0 -- why\n) AND `Seq` >= 1 AND `Seq` <= 2"
    );
}

#[test]
fn bounds_count_and_nulls() {
    let rel = table(None, "t", Some("x = 1"));
    let w = window(Some(3), 4);
    let q = bounds_sql(Dialect::MsSql, &rel, "Id", Some(&w));
    assert_eq!(
        q.sql,
        "SELECT MIN([Id]), MAX([Id]) FROM [t] WHERE (\nx = 1\n) AND [Seq] >= @P1 AND [Seq] <= @P2"
    );
    assert_eq!(q.params.len(), 2);
    let q = bounds_sql(Dialect::Postgres, &table(None, "t", None), "Id", None);
    assert_eq!(
        (q.sql.as_str(), q.params.len()),
        ("SELECT MIN(\"id\"), MAX(\"id\") FROM \"t\"", 0)
    );
    let q = null_count_sql(Dialect::Oracle, &rel, "seq");
    assert_eq!(
        q.sql,
        "SELECT COUNT(*) FROM \"T\" WHERE (\nx = 1\n) AND \"SEQ\" IS NULL"
    );
    let q = null_count_sql(Dialect::Sqlite, &table(None, "t", Some("  ")), "seq");
    assert_eq!(q.sql, "SELECT COUNT(*) FROM \"t\" WHERE \"seq\" IS NULL");
    let q = count_sql(Dialect::Postgres, &rel, Some(&w));
    assert_eq!(
        q.sql,
        "SELECT COUNT(*) FROM \"t\" WHERE (\nx = 1\n) AND \"seq\" >= $1 AND \"seq\" <= $2"
    );
    assert_eq!(
        count_sql(Dialect::Postgres, &table(None, "t", None), None).sql,
        "SELECT COUNT(*) FROM \"t\""
    );
    // SQL Server's COUNT(*) is an int: counts there are COUNT_BIG (bigint).
    assert_eq!(
        count_sql(Dialect::MsSql, &table(None, "t", None), Some(&w)).sql,
        "SELECT COUNT_BIG(*) FROM [t] WHERE [Seq] >= @P1 AND [Seq] <= @P2"
    );
    assert_eq!(
        null_count_sql(Dialect::MsSql, &table(Some("dbo"), "t", None), "seq").sql,
        "SELECT COUNT_BIG(*) FROM [dbo].[t] WHERE [seq] IS NULL"
    );
}

#[path = "inline_tests.rs"]
mod inline;
