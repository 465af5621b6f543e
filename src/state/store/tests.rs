//! Tests for the state store.

use super::*;
use crate::plan::{CursorValue, Watermark};
use tempfile::TempDir;

fn sample(job: &str) -> JobState {
    let mut s = JobState::new(job, LoadType::Incremental);
    s.watermark = Some(Watermark::new("updated_at", &CursorValue::Int(42)));
    s.boundary_keys = vec!["ab12".into(), "cd34".into()];
    s.last_load_id = Some("20260122T031500.123456Z".into());
    s.last_success_at = DateTime::parse_from_rfc3339("2026-01-22T03:15:00Z")
        .ok()
        .map(|t| t.to_utc());
    s.rows_loaded_total = 1234;
    s.schema_fingerprint = Some("f00d".into());
    s
}

fn store() -> (TempDir, StateStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::new(&dir.path().join("metadata")).unwrap();
    (dir, store)
}

#[test]
fn save_load_round_trip() {
    let (_d, st) = store();
    assert_eq!(st.load("orders").unwrap(), None);
    let s = sample("orders");
    st.save(&s).unwrap();
    assert_eq!(st.load("orders").unwrap(), Some(s.clone()));
    let text = fs::read_to_string(st.path("orders").unwrap()).unwrap();
    assert!(text.contains("\"load_type\": \"INCREMENTAL\""), "{text}");
    assert!(text.contains("\"version\": 1"), "{text}");
    // Saving again replaces it.
    let mut s2 = s;
    s2.rows_loaded_total = 9;
    st.save(&s2).unwrap();
    assert_eq!(st.load("orders").unwrap().unwrap().rows_loaded_total, 9);
    assert!(st.reset("orders").unwrap());
    assert!(!st.reset("orders").unwrap());
    assert_eq!(st.load("orders").unwrap(), None);
}

#[test]
fn path_refuses_bad_ids() {
    let (_d, st) = store();
    for bad in ["../x", "a/b", ".hidden", "", "a\\b"] {
        assert!(
            matches!(st.path(bad), Err(StateError::InvalidJobId { .. })),
            "{bad}"
        );
        assert!(st.load(bad).is_err());
        assert!(st.reset(bad).is_err());
    }
    let p = st.path("a.b-c_1").unwrap();
    assert!(p.ends_with(Path::new("state").join("a.b-c_1.json")));
}

#[test]
fn leftover_tmp_is_ignored() {
    let (_d, st) = store();
    st.save(&sample("a")).unwrap();
    let folder = st.dir().join("state");
    fs::write(folder.join("a.json.tmp"), "{ half written").unwrap();
    fs::write(folder.join("b.json.tmp"), "{ half written").unwrap();
    assert_eq!(st.load("a").unwrap(), Some(sample("a")));
    assert_eq!(st.load("b").unwrap(), None);
    let all = st.list().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].as_ref().unwrap().job_id, "a");
    // A later save goes through the same .tmp name.
    st.save(&sample("b")).unwrap();
    assert!(!folder.join("b.json.tmp").exists());
}

#[test]
fn corrupt_files_are_errors_and_kept() {
    let (_d, st) = store();
    let path = st.path("bad").unwrap();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let cases = [
        ("{ not json", "not valid JSON"),
        ("{\"version\": 7, \"job_id\": \"bad\"}", "version 7"),
        ("{\"job_id\": \"bad\"}", "no version"),
        (
            "{\"version\": 1, \"job_id\": \"bad\", \"load_type\": \"SOMETIMES\"}",
            "SOMETIMES",
        ),
    ];
    for (text, needle) in cases {
        fs::write(&path, text).unwrap();
        let err = st.load("bad").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, StateError::Corrupt { .. }), "{msg}");
        assert!(
            msg.contains(needle) && msg.contains("ingest state reset bad"),
            "{msg}"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
    }
    // A file that names another job.
    let mut other = sample("other");
    other.job_id = "other".into();
    fs::write(&path, serde_json::to_string(&other).unwrap()).unwrap();
    assert!(
        st.load("bad")
            .unwrap_err()
            .to_string()
            .contains("holds job `other`")
    );
    // list reports it as an item, next to the good ones, sorted.
    st.save(&sample("z")).unwrap();
    st.save(&sample("a")).unwrap();
    let all = st.list().unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].as_ref().unwrap().job_id, "a");
    assert!(all[1].is_err());
    assert_eq!(all[2].as_ref().unwrap().job_id, "z");
}

#[test]
fn summary_file() {
    let (_d, st) = store();
    st.update_summary(&sample("b")).unwrap();
    let mut full = JobState::new("a", LoadType::Full);
    full.last_success_at = sample("a").last_success_at;
    st.update_summary(&full).unwrap();
    let text = fs::read_to_string(st.summary_path()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "a": {"value": null, "updated_at": "2026-01-22T03:15:00Z"},
            "b": {"value": "42", "updated_at": "2026-01-22T03:15:00Z"},
        })
    );
    assert!(text.find("\"a\"").unwrap() < text.find("\"b\"").unwrap());
    st.remove_from_summary("a").unwrap();
    assert_eq!(st.read_summary().unwrap().keys().collect::<Vec<_>>(), ["b"]);
    assert!(!st.dir().join("watermarks.json.tmp").exists());
}

#[test]
fn corrupt_summary_is_rebuilt_from_states() {
    let (_d, st) = store();
    st.save(&sample("a")).unwrap();
    fs::write(st.summary_path(), "garbage").unwrap();
    assert!(matches!(st.read_summary(), Err(StateError::BadLine { .. })));
    st.update_summary(&sample("b")).unwrap();
    let keys: Vec<_> = st.read_summary().unwrap().into_keys().collect();
    assert_eq!(keys, ["a", "b"]);
}
