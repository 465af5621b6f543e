//! `ingest validate`: check both files and, with `--connect`, reach every source and destination.

use super::{error, exit};
use crate::cli::{Output, ValidateArgs};
use crate::config::{self, Loaded, issue};
use crate::sink::store::Destination;

pub(super) async fn validate_cmd(global: &crate::cli::Global, args: ValidateArgs) -> u8 {
    let loaded = match config::load_with(
        &args.config,
        global.secrets.as_deref(),
        &args.vars.options(),
    ) {
        Ok(l) => l,
        Err(e) => return error(exit::INVALID, e),
    };
    match args.output {
        Output::Json => println!("{}", issue::render_json(&loaded.issues)),
        Output::Text => print!("{}", issue::render_text(&loaded.issues)),
    }
    if loaded.has_errors() {
        return exit::INVALID;
    }
    let enabled = loaded.jobs.iter().filter(|j| j.enabled).count();
    if args.output == Output::Text {
        println!(
            "{} ok: {} jobs ({enabled} enabled)",
            args.config.display(),
            loaded.jobs.len()
        );
    }
    if !args.connect {
        return exit::OK;
    }
    let failures = connect_all(&loaded).await;
    for f in &failures {
        eprintln!("error: {f}");
    }
    if failures.is_empty() {
        println!("every source and destination answered");
        exit::OK
    } else {
        exit::FAILED
    }
}

/// Open every source and destination the enabled jobs use; report every failure.
async fn connect_all(loaded: &Loaded) -> Vec<String> {
    let mut failures = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for job in loaded.jobs.iter().filter(|j| j.enabled) {
        if let Some((name, settings)) = loaded.source_of(job)
            && seen.insert(format!("source:{name}"))
        {
            match ping_source(name, settings).await {
                Ok(()) => println!("source {name}: ok"),
                Err(e) => failures.push(format!("source {name}: {e}")),
            }
        }
        if let Some((name, secret)) = loaded.secrets.destination(&job.destination)
            && seen.insert(format!("dest:{name}:{}", job.target_container))
        {
            match probe_destination(job, name, secret).await {
                Ok(()) => println!("destination {name} ({}): ok", job.target_container),
                Err(e) => failures.push(e.to_string()),
            }
        }
    }
    failures
}

async fn ping_source(
    name: &str,
    settings: &crate::source::SourceSettings,
) -> Result<(), crate::source::SourceError> {
    let source = crate::source::open(name, settings).await?;
    source.ping().await
}

async fn probe_destination(
    job: &crate::config::Job,
    name: &str,
    secret: &crate::config::secrets::DestinationSecret,
) -> Result<(), crate::sink::SinkError> {
    let dest = Destination::from_secret(name, secret)?;
    crate::sink::container::ensure_container(&dest, &job.target_container).await?;
    let store = dest.store(&job.target_container)?;
    let prefix = object_store::path::Path::from(job.target_folder_path.as_str());
    crate::sink::store::probe(store.as_ref(), &prefix).await
}
