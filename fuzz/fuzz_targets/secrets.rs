//! Any bytes as `secrets.toml`, with any `INGEST__…` overrides (after a line `#ENV`, as
//! `KEY=VALUE` lines): loading never panics, nor does validating the sample workbook against it.
#![no_main]

use ingest::config::harness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = harness::secrets(data);
});
