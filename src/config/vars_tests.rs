use super::*;

fn run() -> RunVars {
    let now = DateTime::parse_from_rfc3339("2026-12-02T03:15:00Z")
        .unwrap()
        .to_utc();
    let secrets = BTreeMap::from([
        ("region".to_string(), "emea".to_string()),
        ("cut".to_string(), "x' OR '1'='1".to_string()),
    ]);
    let opts = VarOptions {
        now: Some(now),
        timezone: None,
        overrides: vec![("region".into(), "apac".into())],
    };
    RunVars::new(&opts, &secrets)
}

const JOB: JobVars = JobVars {
    job_id: "orders_daily",
    source_name: "erp",
    table: "orders",
};

#[test]
fn built_ins_are_fixed_and_overrides_win() {
    let mut used = BTreeMap::new();
    let sql = "d = {run_date} AND r = {region} AND t = {run_ts} AND j = {job_id}";
    let out = resolve_sql(Dialect::Postgres, sql, &run(), &JOB, &mut used).unwrap();
    assert_eq!(
        out,
        "d = '2026-12-02' AND r = 'apac' AND t = '20261202T031500Z' AND j = 'orders_daily'"
    );
    assert_eq!(used["region"], "apac");
    assert_eq!(used.len(), 4);
}

#[test]
fn time_zone_moves_the_date_parts() {
    let now = DateTime::parse_from_rfc3339("2026-12-02T23:30:00Z")
        .unwrap()
        .to_utc();
    let opts = VarOptions {
        now: Some(now),
        timezone: Some(chrono_tz::Europe::Berlin),
        overrides: Vec::new(),
    };
    let vars = RunVars::new(&opts, &BTreeMap::new());
    let mut used = BTreeMap::new();
    let out = resolve_folder(
        "snap/{yyyy}/{mm}/{dd}/{hh}/{run_ts}",
        LoadType::Full,
        &vars,
        &JOB,
        &mut used,
    )
    .unwrap();
    assert_eq!(out, "snap/2026/12/03/00/20261203T003000+0100");
}

#[test]
fn hostile_value_is_one_literal() {
    let mut used = BTreeMap::new();
    let out = resolve_sql(Dialect::MySql, "c = {cut}", &run(), &JOB, &mut used).unwrap();
    assert_eq!(out, "c = 'x'' OR ''1''=''1'");
}

#[test]
fn unknown_variables_are_listed_once() {
    let mut used = BTreeMap::new();
    let p = resolve_sql(
        Dialect::Sqlite,
        "{nope} {nope} {also}",
        &run(),
        &JOB,
        &mut used,
    )
    .unwrap_err();
    assert_eq!(p.message, "unknown variables `{nope}`, `{also}`");
    let p = resolve_folder("a/{nope}", LoadType::Full, &run(), &JOB, &mut used).unwrap_err();
    assert_eq!(p.message, "unknown variable `{nope}`");
}

#[test]
fn incremental_folders_take_no_variable() {
    let mut used = BTreeMap::new();
    let p = resolve_folder("a/{yyyy}", LoadType::Incremental, &run(), &JOB, &mut used).unwrap_err();
    assert!(p.message.contains("must be stable"), "{}", p.message);
    assert!(p.message.contains("`{yyyy}`"), "{}", p.message);
    let same = resolve_folder("a/{{b}}", LoadType::Incremental, &run(), &JOB, &mut used);
    assert_eq!(same.unwrap(), "a/{b}");
}

#[test]
fn folder_values_must_be_one_segment() {
    let mut opts = VarOptions::default();
    for bad in ["../up", "a/b", "..", "a\\b", " "] {
        opts.overrides = vec![("part".into(), bad.into())];
        let vars = RunVars::new(&opts, &BTreeMap::new());
        let mut used = BTreeMap::new();
        let p = resolve_folder("s/{part}", LoadType::Full, &vars, &JOB, &mut used).unwrap_err();
        assert!(p.message.contains("`{part}`"), "{bad}: {}", p.message);
    }
}

#[test]
fn assignments_are_checked() {
    assert_eq!(
        parse_assignment("region=a=b").unwrap(),
        ("region".to_string(), "a=b".to_string())
    );
    assert!(
        parse_assignment("yyyy=2020")
            .unwrap_err()
            .contains("built-in")
    );
    assert!(parse_assignment("no-equals").is_err());
    assert!(parse_assignment("1x=a").is_err());
    assert!(parse_assignment("x=a\nb").is_err());
}

#[test]
fn doubled_braces_are_single_braces_even_without_variables() {
    let mut used = BTreeMap::new();
    let out = resolve_sql(
        Dialect::Postgres,
        "a = '{{x}}' AND {{y}}",
        &run(),
        &JOB,
        &mut used,
    );
    assert_eq!(out.unwrap(), "a = '{{x}}' AND {y}");
    assert!(used.is_empty());
}
