use super::*;

fn zstd(n: i32) -> Compression {
    Compression::ZSTD(ZstdLevel::try_new(n).unwrap())
}

#[test]
fn every_codec_and_level_spelling_is_read() {
    let cases = [
        ("zstd", zstd(1)),
        ("ZSTD", zstd(1)),
        ("zstd(1)", zstd(1)),
        (" Zstd( 9 ) ", zstd(9)),
        ("zstd(22)", zstd(22)),
        ("snappy", Compression::SNAPPY),
        ("lz4", Compression::LZ4_RAW),
        ("LZ4_RAW", Compression::LZ4_RAW),
        ("gzip", Compression::GZIP(GzipLevel::try_new(6).unwrap())),
        ("gzip(1)", Compression::GZIP(GzipLevel::try_new(1).unwrap())),
        ("gzip(9)", Compression::GZIP(GzipLevel::try_new(9).unwrap())),
        ("none", Compression::UNCOMPRESSED),
        ("uncompressed", Compression::UNCOMPRESSED),
    ];
    for (text, want) in cases {
        assert_eq!(parse(text), Ok(want), "{text:?}");
    }
}

#[test]
fn the_default_is_zstd_level_1() {
    assert_eq!(default_compression(), zstd(1));
    assert_eq!(parse("zstd"), Ok(default_compression()));
}

#[test]
fn bad_values_say_what_is_wrong() {
    let cases = [
        ("brotli", "not a codec"),
        ("", "not a codec"),
        ("zstd:3", "not a codec"),
        ("zstd(0)", "from 1 to 22"),
        ("zstd(23)", "from 1 to 22"),
        ("zstd(99999999999)", "whole number"),
        ("zstd(-1)", "whole number"),
        ("zstd()", "whole number"),
        ("zstd(3", "parentheses"),
        ("gzip(0)", "from 1 to 9"),
        ("gzip(10)", "from 1 to 9"),
        ("snappy(2)", "only zstd and gzip"),
        ("none(1)", "only zstd and gzip"),
    ];
    for (text, want) in cases {
        let err = parse(text).expect_err(text);
        assert!(err.contains(want), "{text:?}: {err}");
    }
}

#[test]
fn names_read_back_as_the_same_codec() {
    for text in [
        "zstd", "zstd(7)", "snappy", "lz4", "gzip", "gzip(2)", "none",
    ] {
        let c = parse(text).unwrap();
        assert_eq!(parse(&name(c)), Ok(c), "{text}");
    }
    assert_eq!(name(zstd(1)), "zstd(1)");
    assert_eq!(name(Compression::LZ4_RAW), "lz4");
}
