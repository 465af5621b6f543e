//! A destination's `compression`: the Parquet codec of every file ingest writes there, parsed
//! from `zstd`, `zstd(N)`, `snappy`, `lz4`, `gzip`, `gzip(N)` or `none`.

use parquet::basic::{Compression, GzipLevel, ZstdLevel};

/// The values `compression` accepts, for messages and hints.
pub const CHOICES: &str = "zstd (level 1), zstd(N) with N from 1 to 22, snappy, lz4, gzip (level 6), gzip(N) with N from 1 to 9, or none";

/// ZSTD level 1, the default: on the benchmark table it writes the same size as level 3,
/// about 5 % faster.
pub fn default_compression() -> Compression {
    Compression::ZSTD(ZstdLevel::default())
}

/// Read a `compression` value (case and spaces ignored). `lz4` is Parquet's LZ4_RAW (the
/// framed LZ4 codec is deprecated). The error says what is wrong, without the value.
pub fn parse(text: &str) -> Result<Compression, &'static str> {
    let plain: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let (codec, level) = match plain.split_once('(') {
        Some((codec, rest)) => {
            let digits = rest
                .strip_suffix(')')
                .ok_or("a level is written in parentheses, like zstd(3)")?;
            let level: u32 = digits
                .parse()
                .map_err(|_| "the level must be a whole number, like zstd(3)")?;
            (codec, Some(level))
        }
        None => (plain.as_str(), None),
    };
    match (codec, level) {
        ("zstd", None) => Ok(default_compression()),
        ("zstd", Some(n)) => i32::try_from(n)
            .ok()
            .and_then(|n| ZstdLevel::try_new(n).ok())
            .map(Compression::ZSTD)
            .ok_or("the zstd level must be from 1 to 22"),
        ("gzip", None) => Ok(Compression::GZIP(GzipLevel::default())),
        ("gzip", Some(n)) if n >= 1 => GzipLevel::try_new(n)
            .map(Compression::GZIP)
            .map_err(|_| "the gzip level must be from 1 to 9"),
        ("gzip", Some(_)) => Err("the gzip level must be from 1 to 9"),
        ("snappy", None) => Ok(Compression::SNAPPY),
        ("lz4" | "lz4_raw", None) => Ok(Compression::LZ4_RAW),
        ("none" | "uncompressed", None) => Ok(Compression::UNCOMPRESSED),
        ("snappy" | "lz4" | "lz4_raw" | "none" | "uncompressed", Some(_)) => {
            Err("only zstd and gzip take a level")
        }
        _ => Err("it is not a codec ingest writes"),
    }
}

/// The codec as `compression` spells it (`zstd(1)`, `snappy`, `lz4`, `gzip(6)`, `none`).
pub fn name(c: Compression) -> String {
    match c {
        Compression::UNCOMPRESSED => "none".into(),
        Compression::SNAPPY => "snappy".into(),
        Compression::LZ4_RAW => "lz4".into(),
        Compression::ZSTD(l) => format!("zstd({})", l.compression_level()),
        Compression::GZIP(l) => format!("gzip({})", l.compression_level()),
        other => other.to_string().to_ascii_lowercase(),
    }
}

#[cfg(test)]
#[path = "compression_tests.rs"]
mod tests;
