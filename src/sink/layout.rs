//! Object names: `{folder}/{source}_{table}/{table}/{load_id}.{job_id}.{file_id}.parquet` and
//! `{folder}/{source}_{table}/_ingest_loads/{load_id}.json`. Data files written before the job
//! id was part of their name (`{load_id}.{file_id}.parquet`) are still read as such.

use chrono::{DateTime, Utc};
use object_store::path::Path;

/// The folder (under a table's prefix) that holds load manifests.
pub const MANIFESTS_DIR: &str = "_ingest_loads";

/// The folder (under a Delta table's root) where a MERGE load stages its rows; the table never
/// references these files.
pub const STAGING_DIR: &str = "_ingest_staging";

/// A sortable UTC load id with microseconds, e.g. `20260122T031500.123456Z`.
pub fn new_load_id(now: DateTime<Utc>) -> String {
    now.format("%Y%m%dT%H%M%S%.6fZ").to_string()
}

/// Whether a text has the shape of a load id (`YYYYMMDDTHHMMSS.ffffffZ`).
pub fn is_load_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 23
        && b[8] == b'T'
        && b[15] == b'.'
        && b[22] == b'Z'
        && b.iter()
            .enumerate()
            .all(|(i, c)| matches!(i, 8 | 15 | 22) || c.is_ascii_digit())
}

/// Whether a text has the shape of a sequenced manifest name, `s{seq:012}.{job_id}`.
pub fn is_seq_name(s: &str) -> bool {
    let Some((seq, job)) = s.strip_prefix('s').and_then(|r| r.split_once('.')) else {
        return false;
    };
    seq.len() == 12
        && seq.bytes().all(|b| b.is_ascii_digit())
        && !job.is_empty()
        && job
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// The id of a data file within a load: `{chunk}-{seq}`, e.g. `0-0`, `1-3`
/// (`chunk` is the key-range chunk, `seq` counts files a chunk rolled over to).
pub fn file_id(chunk: usize, seq: usize) -> String {
    format!("{chunk}-{seq}")
}

/// Make a workbook name safe as one path segment: unwrap one quoted name as SQL reads it
/// (`"x"`, `[x]`, `` `x` ``, doubled closing quotes undoubled) and replace `/`, `\` and control
/// characters with `_`.
pub fn clean_name(name: &str) -> String {
    let t = name.trim();
    let unquoted = crate::plan::sql::unwrap_quoted(t).unwrap_or_else(|| t.to_string());
    let cleaned: String = unquoted
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    match cleaned.as_str() {
        "" | "." | ".." => "_".repeat(cleaned.len().max(1)),
        _ => cleaned,
    }
}

/// Where one table's data files and manifests live inside a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableLayout {
    prefix: Path,
    table: String,
    job: Option<String>,
}

/// A data file name taken apart: `{load_id}.{job}.{file_id}.parquet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// The load that wrote it.
    pub load_id: String,
    /// The job that wrote it; `None` for a file named before job ids were part of the name.
    pub job: Option<String>,
    /// `{chunk}-{seq}`.
    pub file_id: String,
}

/// Whether two job ids name the same job (job ids are unique ignoring case).
pub fn same_job(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl TableLayout {
    /// Layout for a job: `target_folder_path` is relative and `/`-separated (may be empty).
    pub fn new(target_folder_path: &str, source_name: &str, table: &str) -> TableLayout {
        let table = clean_name(table);
        let top = format!("{}_{}", clean_name(source_name), table);
        let prefix = Path::from_iter(
            target_folder_path
                .split(['/', '\\'])
                .map(str::trim)
                .filter(|p| !p.is_empty() && *p != ".")
                .chain(std::iter::once(top.as_str())),
        );
        TableLayout {
            prefix,
            table,
            job: None,
        }
    }

    /// The same layout for the files of one job: its data files carry `job_id` in their name.
    pub fn for_job(mut self, job_id: &str) -> TableLayout {
        self.job = Some(job_id.to_string());
        self
    }

    /// The job whose files this layout names, if any.
    pub fn job(&self) -> Option<&str> {
        self.job.as_deref()
    }

    /// `{folder}/{source}_{table}`.
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    /// The cleaned table name used in object names.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// `{prefix}/{table}`: the folder of data files.
    pub fn data_prefix(&self) -> Path {
        self.prefix.clone().join(self.table.as_str())
    }

    /// `{prefix}/{table}/{load_id}.{job_id}.{file_id}.parquet` (without `.{job_id}` for a
    /// layout not made [`Self::for_job`]).
    pub fn data_path(&self, load_id: &str, file_id: &str) -> Path {
        let name = match &self.job {
            Some(job) => format!("{load_id}.{job}.{file_id}.parquet"),
            None => format!("{load_id}.{file_id}.parquet"),
        };
        self.data_prefix().join(name)
    }

    /// `{prefix}/_ingest_staging`: where MERGE loads stage their rows, a folder per load.
    pub fn staging_root(&self) -> Path {
        self.prefix.clone().join(STAGING_DIR)
    }

    /// The layout of one load's staged files: its data folder is
    /// `{prefix}/_ingest_staging/{load_id}`, its files are named as data files are.
    pub fn staging(&self, load_id: &str) -> TableLayout {
        TableLayout {
            prefix: self.staging_root(),
            table: load_id.to_string(),
            job: self.job.clone(),
        }
    }

    /// `{prefix}/_ingest_loads`: the folder of manifests.
    pub fn manifests_prefix(&self) -> Path {
        self.prefix.clone().join(MANIFESTS_DIR)
    }

    /// `{prefix}/_ingest_loads/{load_id}.json`.
    pub fn manifest_path(&self, load_id: &str) -> Path {
        self.manifests_prefix().join(format!("{load_id}.json"))
    }

    /// A data file directly under [`Self::data_prefix`] taken apart, else `None`.
    pub fn parse_data_file(&self, path: &Path) -> Option<DataFile> {
        let name = direct_child(path, &self.data_prefix())?;
        let stem = name.strip_suffix(".parquet")?;
        // A load id has a fixed length, so a job id holding dots is read back whole.
        let (load_id, rest) = (stem.get(..23)?, stem.get(23..)?.strip_prefix('.')?);
        let (job, file_id) = match rest.rsplit_once('.') {
            Some((job, file_id)) => (Some(job), file_id),
            None => (None, rest),
        };
        let valid_file_id = file_id.split_once('-').is_some_and(|(c, s)| {
            !c.is_empty()
                && !s.is_empty()
                && c.bytes().all(|b| b.is_ascii_digit())
                && s.bytes().all(|b| b.is_ascii_digit())
        });
        let valid_job = job.is_none_or(|j| {
            !j.is_empty()
                && j.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        });
        (is_load_id(load_id) && valid_file_id && valid_job).then(|| DataFile {
            load_id: load_id.to_string(),
            job: job.map(str::to_string),
            file_id: file_id.to_string(),
        })
    }

    /// The name of a manifest directly under [`Self::manifests_prefix`] (a load id, or
    /// `s{seq:012}.{job_id}`), else `None`.
    pub fn parse_manifest(&self, path: &Path) -> Option<String> {
        let name = direct_child(path, &self.manifests_prefix())?;
        let stem = name.strip_suffix(".json")?;
        (is_load_id(stem) || is_seq_name(stem)).then(|| stem.to_string())
    }
}

/// The file name of `path` when it sits directly in `folder`.
fn direct_child(path: &Path, folder: &Path) -> Option<String> {
    let mut rest = path.prefix_match(folder)?;
    let name = rest.next()?;
    if rest.next().is_some() {
        return None;
    }
    Some(name.as_ref().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[test]
    fn load_id_is_sortable_with_microseconds() {
        let t = Utc.with_ymd_and_hms(2026, 1, 22, 3, 15, 0).unwrap()
            + chrono::Duration::microseconds(123_456);
        assert_eq!(new_load_id(t), "20260122T031500.123456Z");
        let whole = Utc.with_ymd_and_hms(2026, 1, 22, 3, 15, 0).unwrap();
        assert_eq!(new_load_id(whole), "20260122T031500.000000Z");
        assert!(new_load_id(whole) < new_load_id(t));
        assert!(is_load_id(&new_load_id(t)));
        assert!(!is_load_id("20260122T031500Z"));
    }

    #[test]
    fn paths_follow_the_spec() {
        let l = TableLayout::new("raw/sales", "sales_db", "orders");
        assert_eq!(l.prefix().as_ref(), "raw/sales/sales_db_orders");
        let id = "20260122T031500.123456Z";
        assert_eq!(
            l.data_path(id, &file_id(1, 3)).as_ref(),
            "raw/sales/sales_db_orders/orders/20260122T031500.123456Z.1-3.parquet"
        );
        assert_eq!(
            l.manifest_path(id).as_ref(),
            "raw/sales/sales_db_orders/_ingest_loads/20260122T031500.123456Z.json"
        );
        let staged = l.clone().for_job("j").staging(id);
        assert_eq!(
            staged.data_path(id, "0-0").as_ref(),
            "raw/sales/sales_db_orders/_ingest_staging/20260122T031500.123456Z/20260122T031500.123456Z.j.0-0.parquet"
        );
        let top = TableLayout::new("", "s", "t");
        assert_eq!(top.data_prefix().as_ref(), "s_t/t");
        assert_eq!(top.manifests_prefix().as_ref(), "s_t/_ingest_loads");
    }

    #[test]
    fn quoted_and_unsafe_names_are_cleaned() {
        assert_eq!(clean_name("\"Order Details\""), "Order Details");
        assert_eq!(clean_name("[x]"), "x");
        assert_eq!(clean_name("`t`"), "t");
        assert_eq!(clean_name("a/b\\c\u{7}"), "a_b_c_");
        assert_eq!(clean_name("\"\"x\"\""), "\"x\"");
        // Doubled closing quotes are one quote of the name, as in SQL.
        assert_eq!(clean_name("\"o\"\"; x\""), "o\"; x");
        assert_eq!(clean_name("[a]]b]"), "a]b");
        assert_eq!(clean_name("`a``b`"), "a`b");
        assert_eq!(clean_name(".."), "__");
        assert_eq!(clean_name("\""), "\"");
        let l = TableLayout::new("", "db", "[dbo/x]");
        assert_eq!(l.table(), "dbo_x");
        assert_eq!(l.data_prefix().as_ref(), "db_dbo_x/dbo_x");
    }

    #[test]
    fn parse_rejects_foreign_files() {
        let l = TableLayout::new("f", "s", "t");
        let id = "20260122T031500.123456Z";
        let legacy = DataFile {
            load_id: id.to_string(),
            job: None,
            file_id: "0-0".to_string(),
        };
        assert_eq!(l.parse_data_file(&l.data_path(id, "0-0")), Some(legacy));
        let tagged = l.clone().for_job("a.b-1");
        assert_eq!(
            tagged.data_path(id, "2-3").as_ref(),
            "f/s_t/t/20260122T031500.123456Z.a.b-1.2-3.parquet"
        );
        assert_eq!(
            l.parse_data_file(&tagged.data_path(id, "2-3")),
            Some(DataFile {
                load_id: id.to_string(),
                job: Some("a.b-1".to_string()),
                file_id: "2-3".to_string(),
            })
        );
        for other in [
            "f/s_t/t/notes.txt",
            "f/s_t/t/x.0-0.parquet",
            "f/s_t/t/20260122T031500.123456Z.a-0.parquet",
            "f/s_t/t/sub/20260122T031500.123456Z.0-0.parquet",
            "f/s_t/u/20260122T031500.123456Z.0-0.parquet",
            "f/s_t/t/20260122T031500.123456Z..0-0.parquet",
            "f/s_t/t/20260122T031500.123456Z.a b.0-0.parquet",
            "f/s_t/t/20260122T031500.123456Z0-0.parquet",
        ] {
            assert_eq!(l.parse_data_file(&Path::from(other)), None, "{other}");
        }
        assert_eq!(l.parse_manifest(&l.manifest_path(id)), Some(id.to_string()));
        assert_eq!(
            l.parse_manifest(&Path::from("f/s_t/_ingest_loads/x.json")),
            None
        );
        assert_eq!(
            l.parse_manifest(&Path::from("f/s_t/_ingest_loads/s000000000012.a.b-1.json")),
            Some("s000000000012.a.b-1".to_string())
        );
        for bad in [
            "s12.a",
            "s000000000012.",
            "s00000000001x.a",
            "s000000000012.a b",
        ] {
            assert_eq!(
                l.parse_manifest(&Path::from(format!("f/s_t/_ingest_loads/{bad}.json"))),
                None,
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn data_paths_round_trip(table in "\\PC{1,20}", source in "[a-z_]{1,10}", job in "[A-Za-z0-9_.-]{1,12}",
                                 chunk in 0usize..1000, seq in 0usize..1000, micros in 0i64..4_000_000_000_000_000) {
            let l = TableLayout::new("a/b", &source, &table).for_job(&job);
            let id = new_load_id(Utc.timestamp_micros(micros).unwrap());
            let p = l.data_path(&id, &file_id(chunk, seq));
            prop_assert!(!l.table().contains('/'));
            let parsed = l.parse_data_file(&p);
            prop_assert_eq!(parsed, Some(DataFile { load_id: id.clone(), job: Some(job), file_id: file_id(chunk, seq) }));
            prop_assert_eq!(l.parse_manifest(&l.manifest_path(&id)), Some(id));
        }
    }
}
