use super::*;

fn view(rows: u64, estimate: Option<u64>, secs: u64) -> View<'static> {
    View {
        job: "orders_big",
        name_width: 10,
        rows,
        estimate,
        rate: if secs > 0 {
            rows as f64 / secs as f64
        } else {
            0.0
        },
        bytes: 48 * 1024 * 1024,
        elapsed: Duration::from_secs(secs),
    }
}

#[test]
fn a_wide_line_shows_every_part() {
    let v = View {
        rate: 412_000.0,
        ..view(3_050_000, Some(5_000_000), 7)
    };
    let text = render(&v, 120, false);
    assert_eq!(
        text,
        "orders_big  ██████░░░░  3.0M/5.0M rows  61%  412k rows/s  48 MiB written  ETA 4s"
    );
}

#[test]
fn narrow_terminals_drop_parts_and_never_overflow() {
    let v = view(3_000_000, Some(5_000_000), 10);
    for width in [10, 14, 20, 30, 40, 50, 60, 70, 80, 100] {
        let text = render(&v, width, false);
        assert!(
            display_width(&text) <= width,
            "{width}: `{text}` is {} wide",
            display_width(&text)
        );
        if width >= 30 {
            assert!(text.starts_with("orders_big"), "{width}: {text}");
            assert!(text.contains("60%"), "{width}: {text}");
        }
    }
    assert_eq!(render(&v, 30, false), "orders_big  60%  ETA 6s");
    assert!(render(&v, 50, false).contains("3.0M/5.0M rows  60%  ETA 6s"));
    assert!(!render(&v, 60, false).contains("written"));
}

#[test]
fn a_too_low_estimate_never_shows_more_than_100_percent() {
    let v = view(6_200_000, Some(5_000_000), 10);
    let text = render(&v, 120, false);
    assert!(!text.contains('%'), "{text}");
    assert!(!text.contains("ETA"), "{text}");
    assert!(text.contains("6.2M rows (estimate was 5.0M)"), "{text}");
    // At the estimate exactly: no 100 % either.
    let at = view(5_000_000, Some(5_000_000), 10);
    assert!(!render(&at, 120, false).contains('%'));
    // Just below: 99 %, never rounded up to 100.
    let near = view(4_999_999, Some(5_000_000), 10);
    assert!(render(&near, 120, false).contains("99%"));
}

#[test]
fn unknown_estimate_is_a_spinner_with_count_rate_and_elapsed() {
    let v = view(1_400_000, None, 4);
    let text = render(&v, 120, false);
    assert!(
        text.contains("1.4M rows  350k rows/s  48 MiB written  4s"),
        "{text}"
    );
    assert!(!text.contains('%'));
}

#[test]
fn no_eta_before_a_rate_is_known_and_none_absurd() {
    let v = view(0, Some(5_000_000), 0);
    assert!(render(&v, 120, false).contains("ETA ?"));
    let slow = View {
        rate: 1.0,
        ..view(10, Some(u64::MAX - 1), 100)
    };
    assert!(slow.eta().unwrap() <= Duration::from_secs(100 * 3600));
}

#[test]
fn colour_only_when_asked() {
    let v = view(3_000_000, Some(5_000_000), 10);
    assert!(!render(&v, 120, false).contains('\x1b'));
    let c = render(&v, 120, true);
    assert!(c.contains("\x1b[32m") && c.contains("\x1b[1m"), "{c:?}");
    assert_eq!(display_width(&c), display_width(&render(&v, 120, false)));
}

#[test]
fn numbers_read_like_a_person_writes_them() {
    assert_eq!(human_count(999.0), "999");
    assert_eq!(human_count(1_234.0), "1.2k");
    assert_eq!(human_count(3_000_000.0), "3.0M");
    assert_eq!(human_count(250_000_000.0), "250M");
    assert_eq!(human_rate(232_552.456_9), "233k");
    assert_eq!(human_rate(5_300.0), "5.3k");
    assert_eq!(human_rate(87.4), "87");
    assert_eq!(human_bytes(512), "512 B");
    assert_eq!(human_bytes(48 * 1024 * 1024), "48 MiB");
    assert_eq!(human_bytes(1_288_490_189), "1.2 GiB");
    assert_eq!(human_duration(Duration::from_secs(5)), "5s");
    assert_eq!(human_duration(Duration::from_secs(125)), "2m05s");
    assert_eq!(human_duration(Duration::from_secs(3720)), "1h02m");
}

#[test]
fn long_names_are_cut() {
    let v = View {
        job: "a_very_long_job_identifier_for_sure",
        name_width: 12,
        ..view(1, Some(10), 1)
    };
    assert!(render(&v, 120, false).starts_with("a_very_long… "));
}
