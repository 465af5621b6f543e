//! Tests for inlining parameters as SQL literals.

use super::*;

#[test]
fn literals_per_kind() {
    let d = CursorValue::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
    let t = CursorValue::Timestamp(
        NaiveDateTime::parse_from_str("2024-01-15 10:30:00.1234567", "%Y-%m-%d %H:%M:%S%.f")
            .unwrap(),
    );
    let tz = CursorValue::TimestampTz(
        DateTime::parse_from_rfc3339("2024-01-15T10:30:00.5+02:00").unwrap(),
    );
    assert_eq!(
        literal(
            Dialect::Postgres,
            &int(-170141183460469231731687303715884105728)
        ),
        "-170141183460469231731687303715884105728"
    );
    assert_eq!(literal(Dialect::Postgres, &d), "DATE '2024-02-29'");
    assert_eq!(
        literal(Dialect::Postgres, &t),
        "TIMESTAMP '2024-01-15 10:30:00.123456'"
    );
    assert_eq!(
        literal(Dialect::Postgres, &tz),
        "TIMESTAMPTZ '2024-01-15 08:30:00.500000+00:00'"
    );
    assert_eq!(
        literal(Dialect::MySql, &t),
        "TIMESTAMP'2024-01-15 10:30:00.123456'"
    );
    assert_eq!(literal(Dialect::MySql, &d), "DATE'2024-02-29'");
    assert_eq!(
        literal(Dialect::MsSql, &t),
        "CAST('2024-01-15 10:30:00.1234567' AS datetime2)"
    );
    assert_eq!(literal(Dialect::MsSql, &d), "CAST('2024-02-29' AS date)");
    assert_eq!(
        literal(Dialect::MsSql, &tz),
        "CAST('2024-01-15 08:30:00.5000000 +00:00' AS datetimeoffset)"
    );
    assert_eq!(
        literal(Dialect::Oracle, &t),
        "TIMESTAMP '2024-01-15 10:30:00.123456700'"
    );
    assert_eq!(
        literal(Dialect::Oracle, &tz),
        "TIMESTAMP '2024-01-15 08:30:00.500000000 +00:00'"
    );
    assert_eq!(literal(Dialect::Sqlite, &d), "'2024-02-29'");
}

#[test]
fn inline_with_many_params_leaves_user_text_alone() {
    // Ten-plus placeholders, built by hand after a filter full of lookalikes.
    let filter = "note <> '$1 ? @P1 :1' AND \"$2\" = 1 AND x = $$ $3 $$ AND y = $t$ $4 $t$ /* $5 /* $6 */ */ AND z = E'\\' $7' -- $8";
    let mut sql = format!("SELECT * FROM t WHERE (\n{filter}\n)");
    let mut params = Vec::new();
    for n in 1..=12 {
        sql.push_str(&format!(" AND c{n} = ${n}"));
        params.push(Param {
            column: format!("c{n}"),
            value: int(100 + n as i128),
        });
    }
    let q = Query { sql, params };
    let out = q.inline(Dialect::Postgres);
    let mut want = format!("SELECT * FROM t WHERE (\n{filter}\n)");
    for n in 1..=12 {
        want.push_str(&format!(" AND c{n} = {}", 100 + n));
    }
    assert_eq!(out, want);
}

#[test]
fn inline_each_dialect_round_trip() {
    let rel = table(None, "t", Some("s = 'it''s ? $1 @P1 :1'"));
    let ts = CursorValue::Timestamp(
        NaiveDateTime::parse_from_str("2024-01-01 00:00:00", "%Y-%m-%d %H:%M:%S").unwrap(),
    );
    let w = Window {
        column: "ts".into(),
        lo: Some(ts),
        hi: ts,
    };
    let c = chunk(Some(1), Some(2), true);
    for d in ALL {
        let q = select_sql(d, &rel, Some(&w), Some(&c));
        let out = q.inline(d);
        assert!(out.contains("s = 'it''s ? $1 @P1 :1'"), "{d:?}: {out}");
        assert_eq!(placeholders(d, &out).len(), 0, "{d:?}: {out}");
        assert!(out.contains(" >= 1 AND ("), "{d:?}: {out}");
        assert!(out.contains("< 2 OR"), "{d:?}: {out}");
        assert_eq!(out.matches(&literal(d, &ts)).count(), 2, "{d:?}: {out}");
    }
    let oracle = "x = q'[ :1 ]' AND y = :1";
    assert_eq!(placeholders(Dialect::Oracle, oracle).len(), 1);
    let mysql = "x = 'a\\' ?' # ? \n AND y = ?";
    assert_eq!(placeholders(Dialect::MySql, mysql).len(), 1);
    let mssql = "[a ]] ?@P1] = @P1 AND @@ROWCOUNT > 0 AND x@P2 = 1";
    assert_eq!(placeholders(Dialect::MsSql, mssql).len(), 1);
}

#[test]
fn timestamp_tz_params_keep_their_value() {
    let off = FixedOffset::east_opt(3600).unwrap();
    let v = CursorValue::TimestampTz(DateTime::from_timestamp(0, 0).unwrap().with_timezone(&off));
    let w = Window {
        column: "ts".into(),
        lo: None,
        hi: v,
    };
    let q = count_sql(Dialect::Postgres, &table(None, "t", None), Some(&w));
    assert_eq!(q.params[0].value, v);
    assert_eq!(
        q.inline(Dialect::Postgres),
        "SELECT COUNT(*) FROM \"t\" WHERE \"ts\" <= TIMESTAMPTZ '1970-01-01 00:00:00.000000+00:00'"
    );
}

proptest::proptest! {
    /// A watermark survives store → load → SQL literal: the literal PostgreSQL compares with
    /// holds exactly the stored value (timestamps at the microseconds PostgreSQL keeps).
    #[test]
    fn watermark_round_trips_into_sql_literals(
        secs in -2_000_000_000i64..4_000_000_000,
        micros in 0u32..1_000_000,
        int in proptest::prelude::any::<i64>(),
    ) {
        let ts = DateTime::from_timestamp(secs, micros * 1000).unwrap().naive_utc();
        let cases = [
            CursorValue::Int(int as i128),
            CursorValue::Date(ts.date()),
            CursorValue::Timestamp(ts),
            CursorValue::TimestampTz(ts.and_utc().fixed_offset()),
        ];
        for v in cases {
            let stored = serde_json::to_string(&crate::plan::Watermark::new("c", &v)).unwrap();
            let loaded: crate::plan::Watermark = serde_json::from_str(&stored).unwrap();
            let back = loaded.cursor().unwrap();
            proptest::prop_assert_eq!(back, v);
            let text = literal(Dialect::Postgres, &back);
            let inner = match text.split_once('\'') {
                Some((_, rest)) => rest.trim_end_matches('\'').to_string(),
                None => text.clone(),
            };
            proptest::prop_assert_eq!(CursorValue::parse(v.kind(), &inner).unwrap(), v, "{}", text);
        }
    }
}
