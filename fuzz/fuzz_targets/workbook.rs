//! Any bytes as an `.xlsx` file: loading and validating never panics.
#![no_main]

use ingest::config::{Secrets, harness};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = harness::workbook(data, &Secrets::default());
});
