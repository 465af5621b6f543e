//! Tests for a destination's `compression` in secrets.toml.

use super::*;
use crate::config::{Issue, Location};
use crate::sink::store::Destination;
use parquet::basic::{Compression, ZstdLevel};

fn load_text(text: &str, env: &[(&str, &str)]) -> (Secrets, Vec<Issue>) {
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    parse(Path::new("/x/secrets.toml"), text.as_bytes().to_vec(), env).unwrap()
}

fn built(s: &Secrets, name: &str) -> Compression {
    Destination::from_secret(name, &s.destinations[name])
        .unwrap()
        .compression()
}

#[test]
fn local_and_azure_destinations_take_their_codec() {
    let text = "[destinations.plain]\npath = \"out\"\n\
                [destinations.fast]\npath = \"out\"\ncompression = \"lz4\"\n\
                [destinations.small]\npath = \"out\"\ncompression = \"zstd(9)\"\n\
                [destinations.adls]\nuse_emulator = true\ncompression = \"Snappy\"\n";
    let (s, issues) = load_text(
        text,
        &[("INGEST__DESTINATIONS__PLAIN__COMPRESSION", "none")],
    );
    assert!(issues.is_empty(), "{issues:#?}");
    assert_eq!(
        built(&s, "plain"),
        Compression::UNCOMPRESSED,
        "from the environment"
    );
    assert_eq!(built(&s, "fast"), Compression::LZ4_RAW);
    assert_eq!(
        built(&s, "small"),
        Compression::ZSTD(ZstdLevel::try_new(9).unwrap())
    );
    assert_eq!(built(&s, "adls"), Compression::SNAPPY);
    let (s, _) = load_text("[destinations.d]\npath = \"out\"\n", &[]);
    assert_eq!(
        built(&s, "d"),
        crate::sink::compression::default_compression(),
        "zstd(1) when left out"
    );
    let d = Destination::from_secret("fast", &s_with("lz4")).unwrap();
    assert!(
        d.describe().ends_with(", compression lz4"),
        "{}",
        d.describe()
    );
}

fn s_with(codec: &str) -> DestinationSecret {
    DestinationSecret {
        path: Some("out".into()),
        compression: Some(codec.into()),
        ..Default::default()
    }
}

#[test]
fn a_bad_codec_is_reported_at_its_key_with_the_choices() {
    let text = "[destinations.lake]\npath = \"out\"\ncompression = \"brotli\"\n\
                [destinations.adls]\nuse_emulator = true\ncompression = \"zstd(30)\"\n\
                [destinations.typed]\npath = \"out\"\ncompression = 3\n";
    let (s, issues) = load_text(text, &[]);
    let at = |i: &Issue| match &i.at {
        Location::File { key, .. } => key.clone(),
        other => other.to_string(),
    };
    let mut keys: Vec<String> = issues.iter().map(at).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "destinations.adls.compression",
            "destinations.lake.compression",
            "destinations.typed.compression"
        ],
        "every problem, each at its key: {issues:#?}"
    );
    let lake = issues.iter().find(|i| at(i).contains("lake")).unwrap();
    assert!(
        lake.message.contains("[destinations.lake]"),
        "{}",
        lake.message
    );
    assert!(lake.message.contains("brotli"), "{}", lake.message);
    assert_eq!(lake.column, "compression");
    let hint = lake.hint.as_deref().unwrap_or_default();
    for choice in ["zstd(N)", "snappy", "lz4", "gzip", "none", "1 to 22"] {
        assert!(hint.contains(choice), "{hint}");
    }
    let adls = issues.iter().find(|i| at(i).contains("adls")).unwrap();
    assert!(adls.message.contains("from 1 to 22"), "{}", adls.message);
    let typed = issues.iter().find(|i| at(i).contains("typed")).unwrap();
    assert!(
        typed.message.contains("must be a string"),
        "{}",
        typed.message
    );
    // Building the destination refuses the same section, with the choices.
    let m = Destination::from_secret("lake", &s.destinations["lake"])
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("destination `lake`") && m.contains("snappy"),
        "{m}"
    );
}
