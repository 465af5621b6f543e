use super::*;

fn var(n: &str) -> Piece {
    Piece::Var(n.into())
}
fn text(t: &str) -> Piece {
    Piece::Text(t.into())
}

#[test]
fn tokens_outside_quotes_are_variables() {
    let p = sql_template(Dialect::Postgres, "d >= {run_date} AND s = '{run_date}'");
    assert_eq!(
        p,
        vec![
            text("d >= "),
            var("run_date"),
            text(" AND s = '{run_date}'")
        ]
    );
}

#[test]
fn quoted_identifiers_comments_and_dollar_strings_are_left_alone() {
    for (d, sql) in [
        (Dialect::Postgres, "\"{a}\" = 1 -- {b}\n/* {c} */ $x${d}$x$"),
        (Dialect::MySql, "`{a}` = 1 # {b}\n"),
        (Dialect::MsSql, "[{a}] = 1"),
        (Dialect::Sqlite, "[{a}] = `{b}`"),
        (Dialect::Oracle, "q'{{x}}' = '{a}'"),
        (Dialect::MySql, "s = 'it\\'s {a}'"),
    ] {
        let p = sql_template(d, sql);
        assert_eq!(names(&p).count(), 0, "{d:?} {sql}: {p:?}");
        assert_eq!(p, vec![text(sql)], "{d:?}");
    }
}

#[test]
fn braces_that_are_no_variable_stay_and_doubled_braces_escape() {
    let p = sql_template(
        Dialect::MsSql,
        "{fn NOW()} > {d '2020-01-01'} AND {{x}} = {x}",
    );
    assert_eq!(
        p,
        vec![text("{fn NOW()} > {d '2020-01-01'} AND {x} = "), var("x")]
    );
    assert_eq!(
        path_template("a/{yyyy}/{{b}}"),
        vec![text("a/"), var("yyyy"), text("/{b}")]
    );
    assert_eq!(path_template("é{x}"), vec![text("é"), var("x")]);
}

#[test]
fn literals_double_quotes_and_keep_backslashes() {
    let hostile = "x' OR '1'='1";
    assert_eq!(
        string_literal(Dialect::Postgres, hostile),
        "'x'' OR ''1''=''1'"
    );
    assert_eq!(
        string_literal(Dialect::Oracle, hostile),
        "'x'' OR ''1''=''1'"
    );
    assert_eq!(
        string_literal(Dialect::Sqlite, hostile),
        "'x'' OR ''1''=''1'"
    );
    assert_eq!(
        string_literal(Dialect::MsSql, hostile),
        "N'x'' OR ''1''=''1'"
    );
    assert_eq!(
        string_literal(Dialect::MySql, hostile),
        "'x'' OR ''1''=''1'"
    );
    assert_eq!(string_literal(Dialect::Postgres, "a\\'b"), "E'a\\\\''b'");
    assert_eq!(string_literal(Dialect::MySql, "a\\'"), "_utf8mb4 X'615C27'");
}

#[test]
fn names_are_ascii_identifiers() {
    assert!(is_var_name("run_date") && is_var_name("_x1"));
    assert!(!is_var_name("") && !is_var_name("1x") && !is_var_name("a-b") && !is_var_name("a b"));
}
