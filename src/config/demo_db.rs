//! The demo SQLite database written by `generate-sample`: `customers` and `orders`, built from a
//! fixed-seed PRNG so every run writes the same rows.
//!
//! Note on SQLite type affinity: a column declared `DECIMAL(p,s)` or `BOOLEAN` has NUMERIC
//! affinity, so SQLite itself stores the decimal text we insert (`'1234.50'`) as REAL `1234.5`
//! (or INTEGER for whole values). Every decimal here has at most 10 significant digits, so the
//! shortest text of the stored double is the exact decimal. DATE / TIMESTAMP values are stored
//! as TEXT (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`).

use chrono::{Duration, NaiveDate, NaiveDateTime};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AssertSqlSafe, Connection, Executor, SqliteConnection};
use std::path::Path;

/// Rows in `customers`.
pub const CUSTOMERS: i64 = 2_000;
/// Rows in `orders`.
pub const ORDERS: i64 = 120_000;

const SCHEMA: &str = "
CREATE TABLE customers (
    customer_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    country TEXT,
    credit_limit DECIMAL(12,2),
    is_active BOOLEAN,
    signup_date DATE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    quantity INTEGER,
    unit_price DECIMAL(10,2),
    amount DECIMAL(12,2),
    discount REAL,
    notes TEXT,
    order_date DATE NOT NULL,
    shipped_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX orders_updated_at ON orders(updated_at);
";

const FIRST: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dmitri", "Elena", "Farah", "Goran", "Hana", "Ivan", "Julia", "Kenji",
    "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor",
    "Wen", "Ximena", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Andersen", "Brown", "Costa", "Dubois", "Eriksson", "Fischer", "Garcia", "Horvat", "Ito",
    "Jansen", "Kowalski", "Lopez", "Muller", "Nakamura", "Okafor", "Petrov", "Rossi", "Silva",
    "Tanaka", "Weber",
];
const COUNTRIES: &[&str] = &[
    "DE", "FR", "NL", "US", "GB", "ES", "IT", "PL", "SE", "JP", "BR",
];
const NOTES: &[&str] = &[
    "leave at door",
    "gift wrap",
    "call before delivery",
    "fragile",
    "express",
    "repeat order",
    "",
];
/// Status and its weight out of 100; pending and cancelled orders have no `shipped_at`.
const STATUSES: &[(&str, u64)] = &[
    ("delivered", 80),
    ("shipped", 10),
    ("pending", 4),
    ("cancelled", 3),
    ("returned", 3),
];
/// Seconds between consecutive `updated_at` values: many zeros give ties.
const STEPS: &[i64] = &[0, 0, 0, 1, 1, 2, 3, 7, 15, 60];

/// xorshift64* with a fixed seed: deterministic on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// True with probability `pct`%.
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

fn ts(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn cents(c: u64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

/// A value bound into an INSERT.
enum V {
    Int(i64),
    Real(f64),
    Text(String),
    Null,
}

fn opt(v: Option<String>) -> V {
    v.map_or(V::Null, V::Text)
}

fn customer_rows(rng: &mut Rng) -> Vec<Vec<V>> {
    let start = NaiveDate::from_ymd_opt(2018, 1, 1).unwrap_or_default();
    (1..=CUSTOMERS)
        .map(|id| {
            let (first, last) = (rng.pick(FIRST), rng.pick(LAST));
            let email = (!rng.chance(3))
                .then(|| format!("{}.{}{id}@example.com", first, last).to_ascii_lowercase());
            let country = (!rng.chance(2)).then(|| rng.pick(COUNTRIES).to_string());
            let credit = (!rng.chance(4)).then(|| cents(100_000 + rng.below(5_000_000)));
            let signup = start + Duration::days(rng.below(2_190) as i64);
            let created = signup.and_hms_opt(0, 0, 0).unwrap_or_default()
                + Duration::seconds(rng.below(86_400) as i64);
            let updated = created + Duration::seconds(rng.below(400 * 86_400) as i64);
            vec![
                V::Int(id),
                V::Text(format!("{first} {last}")),
                opt(email),
                opt(country),
                opt(credit),
                V::Int(i64::from(!rng.chance(10))),
                V::Text(signup.format("%Y-%m-%d").to_string()),
                V::Text(ts(created)),
                V::Text(ts(updated)),
            ]
        })
        .collect()
}

fn order_rows(rng: &mut Rng) -> Vec<Vec<V>> {
    let mut clock = epoch();
    (1..=ORDERS)
        .map(|id| {
            clock += Duration::seconds(*rng.pick(STEPS));
            // A few rows were touched again later: the cursor is mostly, not strictly, ordered.
            let updated = if rng.chance(1) {
                clock + Duration::seconds(rng.below(7 * 86_400) as i64)
            } else {
                clock
            };
            let created = updated - Duration::seconds(rng.below(20 * 86_400) as i64);
            let mut roll = rng.below(100);
            let status = STATUSES
                .iter()
                .find(|(_, w)| {
                    let hit = roll < *w;
                    roll = roll.saturating_sub(*w);
                    hit
                })
                .map_or("delivered", |(s, _)| s);
            let shipped = (!matches!(status, "pending" | "cancelled")).then(|| {
                (created + Duration::seconds(3_600 + rng.below(72 * 3_600) as i64)).min(updated)
            });
            let quantity = 1 + rng.below(20);
            let price = 100 + rng.below(99_900);
            let discount = if rng.chance(5) {
                V::Null
            } else {
                V::Real(*rng.pick(&[0.0, 0.0, 0.05, 0.1, 0.15, 0.2]))
            };
            let notes = (!rng.chance(5)).then(|| rng.pick(NOTES).to_string());
            vec![
                V::Int(id),
                V::Int(1 + rng.below(CUSTOMERS as u64) as i64),
                V::Text(status.to_string()),
                V::Int(quantity as i64),
                V::Text(cents(price)),
                V::Text(cents(price * quantity)),
                discount,
                opt(notes),
                V::Text(created.format("%Y-%m-%d").to_string()),
                opt(shipped.map(ts)),
                V::Text(ts(updated)),
            ]
        })
        .collect()
}

/// Insert rows with multi-row statements (fast even in debug builds).
async fn insert(
    conn: &mut SqliteConnection,
    table: &str,
    rows: &[Vec<V>],
) -> Result<(), sqlx::Error> {
    const PER_STATEMENT: usize = 500;
    for chunk in rows.chunks(PER_STATEMENT) {
        let width = chunk.first().map_or(0, Vec::len);
        let tuple = format!("({})", vec!["?"; width].join(","));
        let sql = format!(
            "INSERT INTO {table} VALUES {}",
            vec![tuple; chunk.len()].join(",")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for v in chunk.iter().flatten() {
            q = match v {
                V::Int(i) => q.bind(*i),
                V::Real(f) => q.bind(*f),
                V::Text(s) => q.bind(s.as_str()),
                V::Null => q.bind(None::<String>),
            };
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Write the demo database to `path` (which must not exist yet), in one transaction, then VACUUM.
pub async fn write(path: &Path) -> Result<(), sqlx::Error> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Delete);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let customers = customer_rows(&mut rng);
    let orders = order_rows(&mut rng);
    let mut tx = conn.begin().await?;
    tx.execute(SCHEMA).await?;
    insert(&mut tx, "customers", &customers).await?;
    insert(&mut tx, "orders", &orders).await?;
    tx.commit().await?;
    conn.execute("VACUUM").await?;
    conn.close().await
}
