//! SQL Server date and time wire values as chrono values, exactly.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, Utc};
use tiberius::time::{Date, DateTime as MsDateTime, DateTime2, SmallDateTime, Time};

/// Midnight of 1 January of `year`.
pub(super) fn epoch(year: i32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .unwrap_or(NaiveDate::MIN)
        .and_time(NaiveTime::MIN)
}

/// A legacy `datetime`: days since 1900-01-01 and 1/300 s ticks, rounded to the nearest µs
/// (the same rounding SQL Server uses converting to `datetime2(6)`).
pub fn datetime_value(v: MsDateTime) -> NaiveDateTime {
    let micros = (v.seconds_fragments() as i64 * 10_000 + 1) / 3;
    epoch(1900) + TimeDelta::days(v.days() as i64) + TimeDelta::microseconds(micros)
}

/// A `smalldatetime`: days since 1900-01-01 and minutes.
pub fn smalldatetime_value(v: SmallDateTime) -> NaiveDateTime {
    epoch(1900)
        + TimeDelta::days(v.days() as i64)
        + TimeDelta::minutes(v.seconds_fragments() as i64)
}

/// A `date`: days since 0001-01-01.
pub fn date_value(v: Date) -> NaiveDate {
    epoch(1).date() + TimeDelta::days(v.days() as i64)
}

/// A `time(n)` as nanoseconds since midnight.
pub fn time_nanos(v: Time) -> i64 {
    let scale = v.scale().min(9) as u32;
    (v.increments() as i64).saturating_mul(10i64.pow(9 - scale))
}

/// A `datetime2(n)`.
pub fn datetime2_value(v: DateTime2) -> NaiveDateTime {
    date_value(v.date()).and_time(NaiveTime::MIN) + TimeDelta::nanoseconds(time_nanos(v.time()))
}

/// A `datetimeoffset(n)`: the wire carries the UTC instant and the offset in minutes.
pub fn datetimeoffset_value(v: tiberius::time::DateTimeOffset) -> DateTime<FixedOffset> {
    let utc = datetime2_value(v.datetime2()).and_utc();
    let offset = FixedOffset::east_opt(v.offset() as i32 * 60).unwrap_or(Utc.fix());
    utc.with_timezone(&offset)
}
