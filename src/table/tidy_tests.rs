use super::*;

const MINE: &str = "20260101T000000.000001Z";
const FAILED: &str = "20260101T000000.000002Z";
const UNTIL: &str = "20260101T000000.000003Z";
const NEWER: &str = "20260101T000000.000004Z";

#[test]
fn only_this_jobs_uncommitted_older_loads_are_leftovers() {
    let layout = TableLayout::new("raw", "db", "items").for_job("sales");
    let committed: HashSet<String> = [MINE.to_string()].into();
    let l = Leftovers {
        layout: &layout,
        job_id: "sales",
        until: UNTIL,
        committed: &committed,
    };
    let data = |name: &str| layout.data_prefix().join(name);
    assert!(l.owns(&data(&format!("{FAILED}.sales.0-0.parquet"))));
    assert!(
        l.owns(&data(&format!("{FAILED}.SALES.1-0.parquet"))),
        "job ids ignore case"
    );
    assert!(
        !l.owns(&data(&format!("{MINE}.sales.0-0.parquet"))),
        "committed"
    );
    assert!(
        !l.owns(&data(&format!("{NEWER}.sales.0-0.parquet"))),
        "newer load"
    );
    assert!(
        !l.owns(&data(&format!("{UNTIL}.sales.0-0.parquet"))),
        "this load"
    );
    assert!(
        !l.owns(&data(&format!("{FAILED}.other.0-0.parquet"))),
        "another job"
    );
    assert!(
        !l.owns(&data(&format!("{FAILED}.0-0.parquet"))),
        "no job in the name"
    );
    assert!(
        !l.owns(&data("part-00001-6f1c-c000.zstd.parquet")),
        "OPTIMIZE's file"
    );
    assert!(
        !l.owns(
            &layout
                .prefix()
                .clone()
                .join(format!("{FAILED}.sales.0-0.parquet"))
        ),
        "not in the data folder"
    );
    assert!(l.owns_staging(&format!("{FAILED}.sales.0-0.parquet#3")));
    assert!(!l.owns_staging(&format!("{MINE}.sales.0-0.parquet#3")));
    assert!(!l.owns_staging(&format!("{FAILED}.sales.0-0.parquet")));
}

#[test]
fn load_ids_are_read_from_file_names() {
    assert_eq!(
        load_id_of(&format!("items/{MINE}.sales.0-0.parquet")),
        Some(MINE)
    );
    assert_eq!(load_id_of("part-00001-6f1c-c000.zstd.parquet"), None);
    assert_eq!(load_id_of("x"), None);
}
