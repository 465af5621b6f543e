//! `ingest state`: list, show, reset or set a job's stored watermark.

use super::{error, exit};
use crate::cli::StateCommand;
use crate::plan::{CursorKind, CursorValue, Watermark};
use crate::state::lock::LockError;
use crate::state::store::{JobState, StateStore};
use std::path::Path;

pub(super) fn state_cmd(state_dir: &Path, cmd: StateCommand) -> u8 {
    let store = match StateStore::new(state_dir) {
        Ok(s) => s,
        Err(e) => return error(exit::FAILED, e),
    };
    // Changing state while a run holds the directory would be overwritten or half-seen by it.
    let _lock = match cmd {
        StateCommand::Reset { .. } | StateCommand::Set { .. } => {
            match crate::state::lock::DirLock::acquire(state_dir) {
                Ok(lock) => Some(lock),
                Err(e @ LockError::Held { .. }) => return error(exit::LOCKED, e),
                Err(e) => return error(exit::FAILED, e),
            }
        }
        StateCommand::List | StateCommand::Show { .. } => None,
    };
    match state_op(&store, cmd) {
        Ok(()) => exit::OK,
        Err((code, message)) => error(code, message),
    }
}

fn state_op(store: &StateStore, cmd: StateCommand) -> Result<(), (u8, String)> {
    let failed = |e: crate::state::StateError| (exit::FAILED, e.to_string());
    match cmd {
        StateCommand::List => {
            let all = store.list().map_err(failed)?;
            if all.is_empty() {
                println!("no state in {}", store.dir().display());
            }
            for entry in all {
                match entry {
                    Ok(s) => println!(
                        "{}  {}  {}  last load {}  rows {}",
                        s.job_id,
                        s.load_type,
                        s.watermark.as_ref().map_or("-".to_string(), |w| format!(
                            "{}={} ({})",
                            w.column, w.value, w.kind
                        )),
                        s.last_load_id.as_deref().unwrap_or("-"),
                        s.rows_loaded_total
                    ),
                    Err(e) => println!("error: {e}"),
                }
            }
            Ok(())
        }
        StateCommand::Show { job } => {
            let s = store
                .load(&job)
                .map_err(failed)?
                .ok_or((exit::FAILED, format!("no state for job `{job}`")))?;
            println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
            Ok(())
        }
        StateCommand::Reset { job } => reset(store, &job),
        StateCommand::Set {
            job,
            value,
            kind,
            column,
        } => {
            let current = store.load(&job).map_err(failed)?;
            let (column, kind): (String, CursorKind) = match (&current, column, kind) {
                (_, Some(c), Some(k)) => (c, k.into()),
                (
                    Some(JobState {
                        watermark: Some(w), ..
                    }),
                    c,
                    k,
                ) => (
                    c.unwrap_or(w.column.clone()),
                    k.map(Into::into).unwrap_or(w.kind),
                ),
                _ => {
                    return Err((
                        exit::INVALID,
                        format!("job `{job}` has no watermark yet: give --column and --kind"),
                    ));
                }
            };
            let v = CursorValue::parse(kind, &value).map_err(|e| (exit::INVALID, e.to_string()))?;
            let mut s = current
                .unwrap_or_else(|| JobState::new(&job, crate::config::LoadType::Incremental));
            s.watermark = Some(Watermark::new(column, &v));
            s.boundary_keys.clear();
            store.save(&s).map_err(failed)?;
            store.update_summary(&s).map_err(failed)?;
            println!("{job}: watermark set to {}", v.to_text());
            Ok(())
        }
    }
}

/// Forget the watermark but keep the last load id, so the next run does not re-adopt the
/// manifest it came from. A corrupt file is removed: the next run adopts the newest manifest.
fn reset(store: &StateStore, job: &str) -> Result<(), (u8, String)> {
    let failed = |e: crate::state::StateError| (exit::FAILED, e.to_string());
    match store.load(job) {
        Ok(Some(mut s)) => {
            s.watermark = None;
            s.boundary_keys.clear();
            s.rows_loaded_total = 0;
            store.save(&s).map_err(failed)?;
            store.remove_from_summary(job).map_err(failed)?;
            println!(
                "{job}: watermark forgotten; the next run starts from last_watermark (or the beginning)"
            );
        }
        Ok(None) => println!("{job}: no state to reset"),
        Err(_) => {
            store.reset(job).map_err(failed)?;
            store.remove_from_summary(job).map_err(failed)?;
            println!(
                "{job}: corrupt state removed; the next run adopts the newest committed load, if any"
            );
        }
    }
    Ok(())
}
