//! Oracle source (oracle crate over ODPI-C): the driver is blocking, so every call runs on a
//! `spawn_blocking` thread; extraction feeds a bounded channel.

use super::arrow::BatchBuilder;
use super::oracle_types::{self, MAX_FETCH_ROWS, OraValue, ReadAs};
use super::{BatchSender, Extract, Source, SourceError};
use crate::config::SourceType;
use crate::config::secrets::{Secret, SourceSecret};
use crate::plan::sql::{Dialect, Query, Relation};
use crate::plan::{CursorKind, CursorValue};
use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use futures::stream::BoxStream;
use oracle::sql_type::{IntervalDS, IntervalYM, OracleType, Timestamp, ToSql};
use oracle::{Connection, SqlValue};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What a user sees when Oracle Instant Client cannot be loaded (ODPI-C error DPI-1047).
pub const INSTANT_CLIENT_HINT: &str = "Oracle Instant Client is not installed or cannot be found: \
download the 'Basic' or 'Basic Light' package from \
https://www.oracle.com/database/technologies/instant-client/downloads.html, unzip it, and add \
its folder to PATH (Windows) or LD_LIBRARY_PATH (Linux; or run ldconfig), then retry";

/// How to reach an Oracle database.
#[derive(Clone)]
struct Login {
    username: String,
    password: Secret,
    connect_string: String,
}

/// An Oracle database.
pub struct OracleSource {
    name: String,
    login: Login,
    number_scale: u8,
    /// Columns described as DATE, whose timestamp parameters bind as DATE (index-friendly).
    date_columns: Arc<Mutex<HashMap<String, bool>>>,
}

/// The connect string of a secrets section: `connect_string` as given (EZConnect or a TNS
/// descriptor/alias); else `//host:port/service_name`; else a descriptor with `SID`.
pub fn connect_string(secret: &SourceSecret) -> Result<String, String> {
    if let Some(cs) = secret
        .connect_string
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        return Ok(cs.trim().to_string());
    }
    let host = secret.host.as_deref().ok_or(
        "the secrets section needs `connect_string`, or `host` with `service_name` or `sid`",
    )?;
    let port = secret.port.unwrap_or(1521);
    match (&secret.service_name, &secret.sid, &secret.database) {
        (Some(service), _, _) | (None, None, Some(service)) => {
            Ok(format!("//{host}:{port}/{service}"))
        }
        (None, Some(sid), _) => Ok(format!(
            "(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST={host})(PORT={port}))(CONNECT_DATA=(SID={sid})))"
        )),
        (None, None, None) => {
            Err("the secrets section needs `service_name` or `sid` with `host`".into())
        }
    }
}

/// A driver error as a message; DPI-1047 (no Instant Client) gets the install hint.
pub fn describe_error(e: &oracle::Error) -> String {
    let text = e.to_string();
    if text.contains("DPI-1047") {
        format!("{INSTANT_CLIENT_HINT} ({text})")
    } else {
        text
    }
}

impl OracleSource {
    /// Connect once (on a blocking thread) to prove the settings and the client library work.
    pub async fn connect(
        name: &str,
        secret: &SourceSecret,
    ) -> Result<Box<dyn Source>, SourceError> {
        let err = |message: String| SourceError::Connect {
            source_type: SourceType::Oracle,
            name: name.to_string(),
            message,
        };
        let login = Login {
            username: secret
                .username
                .clone()
                .ok_or_else(|| err("the secrets section has no `username`".into()))?,
            password: secret
                .password
                .clone()
                .ok_or_else(|| err("the secrets section has no `password`".into()))?,
            connect_string: connect_string(secret).map_err(err)?,
        };
        let source = OracleSource {
            name: name.to_string(),
            login,
            number_scale: secret
                .number_scale
                .unwrap_or(oracle_types::DEFAULT_NUMBER_SCALE)
                .min(38),
            date_columns: Arc::new(Mutex::new(HashMap::new())),
        };
        source.blocking(|_| Ok(())).await?;
        Ok(Box::new(source))
    }

    /// Run `f` with a fresh connection on a blocking thread.
    async fn blocking<T, F>(&self, f: F) -> Result<T, SourceError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, SourceError> + Send + 'static,
    {
        let login = self.login.clone();
        let name = self.name.clone();
        tokio::task::spawn_blocking(move || f(&open(&name, &login)?))
            .await
            .map_err(|_| SourceError::Other("the Oracle driver thread panicked".into()))?
    }

    fn date_columns(&self) -> HashMap<String, bool> {
        self.date_columns
            .lock()
            .map(|d| d.clone())
            .unwrap_or_default()
    }

    async fn first_row(&self, query: &Query) -> Result<Vec<OraValue>, SourceError> {
        let q = query.clone();
        let dates = self.date_columns();
        self.blocking(move |conn| {
            let params = bind_values(&q, &dates);
            let refs: Vec<&dyn ToSql> = params.iter().map(|p| p.as_ref()).collect();
            let row = conn
                .query_row(&q.sql, &refs)
                .map_err(|e| query_err(&e, &q.sql))?;
            let info = row.column_info();
            row.sql_values()
                .iter()
                .zip(info)
                .map(|(v, c)| {
                    read(v, read_as_of(c.oracle_type())).map_err(|message| SourceError::Query {
                        message,
                        sql: q.sql.clone(),
                    })
                })
                .collect()
        })
        .await
    }
}

/// Open a connection with the session in UTC (so LOCAL TIME ZONE values read as UTC).
fn open(name: &str, login: &Login) -> Result<Connection, SourceError> {
    let err = |e: oracle::Error| SourceError::Connect {
        source_type: SourceType::Oracle,
        name: name.to_string(),
        message: describe_error(&e),
    };
    let conn = Connection::connect(
        &login.username,
        login.password.expose(),
        &login.connect_string,
    )
    .map_err(err)?;
    conn.execute("ALTER SESSION SET TIME_ZONE = '+00:00'", &[])
        .map_err(err)?;
    Ok(conn)
}

fn query_err(e: &oracle::Error, sql: &str) -> SourceError {
    SourceError::Query {
        message: describe_error(e),
        sql: sql.to_string(),
    }
}

fn read_as_of(t: &OracleType) -> ReadAs {
    oracle_types::map_type(t, 0).map_or(ReadAs::Text, |m| m.1)
}

/// Bind values in placeholder order: Int → NUMBER, Date → DATE, Timestamp → TIMESTAMP(9)
/// (DATE for DATE columns when there is no fraction), TimestampTz → TIMESTAMP(9) WITH TIME ZONE.
fn bind_values(query: &Query, dates: &HashMap<String, bool>) -> Vec<Box<dyn ToSql>> {
    query
        .params
        .iter()
        .map(|p| -> Box<dyn ToSql> {
            match p.value {
                CursorValue::Int(v) => match i64::try_from(v) {
                    Ok(v) => Box::new(v),
                    Err(_) => Box::new(Typed(v.to_string(), OracleType::Number(38, 0))),
                },
                CursorValue::Date(d) => Box::new(Typed(d, OracleType::Date)),
                CursorValue::Timestamp(t)
                    if dates.get(&p.column).copied().unwrap_or(false)
                        && chrono::Timelike::nanosecond(&t) == 0 =>
                {
                    Box::new(Typed(t, OracleType::Date))
                }
                CursorValue::Timestamp(t) => Box::new(t),
                CursorValue::TimestampTz(t) => Box::new(t),
            }
        })
        .collect()
}

/// A value bound with an explicit Oracle type (e.g. a timestamp bound as DATE).
struct Typed<T>(T, OracleType);

impl<T: ToSql> ToSql for Typed<T> {
    fn oratype(&self, _conn: &Connection) -> oracle::Result<OracleType> {
        Ok(self.1.clone())
    }

    fn to_sql(&self, val: &mut SqlValue) -> oracle::Result<()> {
        self.0.to_sql(val)
    }
}

/// Read one fetched value in the form its column needs; `Err` is the driver's message.
fn read(v: &SqlValue, how: ReadAs) -> Result<OraValue, String> {
    read_value(v, how).map_err(|e| match e {
        ReadError::Driver(e) => describe_error(&e),
        ReadError::Invalid(m) => m,
    })
}

enum ReadError {
    Driver(oracle::Error),
    Invalid(String),
}

impl From<oracle::Error> for ReadError {
    fn from(e: oracle::Error) -> Self {
        ReadError::Driver(e)
    }
}

fn read_value(v: &SqlValue, how: ReadAs) -> Result<OraValue, ReadError> {
    if v.is_null()? {
        return Ok(OraValue::Null);
    }
    Ok(match how {
        ReadAs::Text => OraValue::Text(v.get::<String>()?),
        ReadAs::Float => OraValue::Float(v.get::<f64>()?),
        ReadAs::Bytes => OraValue::Bytes(v.get::<Vec<u8>>()?),
        ReadAs::Bool => OraValue::Bool(v.get::<bool>()?),
        ReadAs::Timestamp => {
            let t = v.get::<Timestamp>()?;
            let naive = oracle_types::naive(
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.nanosecond(),
            )
            .ok_or_else(|| ReadError::Invalid(format!("`{t}` is not a valid timestamp")))?;
            OraValue::Timestamp(naive, t.with_tz().then(|| t.tz_offset()))
        }
        ReadAs::IntervalDs => {
            let i = v.get::<IntervalDS>()?;
            OraValue::Text(oracle_types::interval_ds_text(
                i.days(),
                i.hours(),
                i.minutes(),
                i.seconds(),
                i.nanoseconds(),
            ))
        }
        ReadAs::IntervalYm => {
            let i = v.get::<IntervalYM>()?;
            OraValue::Text(oracle_types::interval_ym_text(i.years(), i.months()))
        }
    })
}

#[async_trait::async_trait]
impl Source for OracleSource {
    fn dialect(&self) -> Dialect {
        Dialect::Oracle
    }

    async fn describe(&self, rel: &Relation) -> Result<SchemaRef, SourceError> {
        let sql = format!(
            "SELECT * FROM {} WHERE 1 = 0",
            crate::plan::sql::from_clause(Dialect::Oracle, rel)
        );
        let scale = self.number_scale;
        let (fields, dates) = self
            .blocking(move |conn| {
                let rows = conn.query(&sql, &[]).map_err(|e| query_err(&e, &sql))?;
                let mut fields = Vec::new();
                let mut dates = HashMap::new();
                for c in rows.column_info() {
                    let t = c.oracle_type();
                    let (dt, _) = oracle_types::map_type(t, scale).ok_or_else(|| {
                        SourceError::UnsupportedType {
                            column: c.name().to_string(),
                            db_type: t.to_string(),
                        }
                    })?;
                    dates.insert(c.name().to_string(), *t == OracleType::Date);
                    fields.push(Field::new(c.name(), dt, true));
                }
                Ok((fields, dates))
            })
            .await?;
        if let Ok(mut d) = self.date_columns.lock() {
            d.extend(dates);
        }
        Ok(Arc::new(Schema::new(fields)))
    }

    async fn bounds(
        &self,
        query: &Query,
        column: &str,
        kind: CursorKind,
    ) -> Result<Option<(CursorValue, CursorValue)>, SourceError> {
        let row = self.first_row(query).await?;
        let cursor = |v: Option<&OraValue>| -> Result<Option<CursorValue>, SourceError> {
            let v = v.ok_or_else(|| SourceError::MissingColumn(column.to_string()))?;
            oracle_types::cursor_of(v, kind).map_err(|reason| SourceError::BadValue {
                column: column.to_string(),
                key: None,
                value: oracle_types::display(v),
                reason,
            })
        };
        Ok(cursor(row.first())?.zip(cursor(row.get(1))?))
    }

    async fn count(&self, query: &Query) -> Result<u64, SourceError> {
        match self.first_row(query).await?.first() {
            Some(OraValue::Text(t)) => t.trim().parse().map_err(|_| SourceError::Query {
                message: format!("the count query returned `{t}`"),
                sql: query.sql.clone(),
            }),
            _ => Err(SourceError::Query {
                message: "the count query returned no number".into(),
                sql: query.sql.clone(),
            }),
        }
    }

    async fn ping(&self) -> Result<(), SourceError> {
        let q = Query {
            sql: "SELECT 1 FROM DUAL".into(),
            params: Vec::new(),
        };
        self.count(&q).await.map(|_| ())
    }

    fn extract(&self, spec: Extract) -> BoxStream<'static, Result<RecordBatch, SourceError>> {
        let login = self.login.clone();
        let name = self.name.clone();
        let dates = self.date_columns();
        super::spawn_blocking_batches(move |tx| {
            let conn = open(&name, &login)?;
            run_extract(&conn, &spec, &dates, tx)
        })
    }
}

fn run_extract(
    conn: &Connection,
    spec: &Extract,
    dates: &HashMap<String, bool>,
    tx: &BatchSender,
) -> Result<(), SourceError> {
    let sql = &spec.query.sql;
    let fetch = spec.batch_rows.clamp(1, MAX_FETCH_ROWS) as u32;
    let mut stmt = conn
        .statement(sql)
        .prefetch_rows(fetch)
        .fetch_array_size(fetch)
        .build()
        .map_err(|e| query_err(&e, sql))?;
    let params = bind_values(&spec.query, dates);
    let refs: Vec<&dyn ToSql> = params.iter().map(|p| p.as_ref()).collect();
    let rows = stmt.query(&refs).map_err(|e| query_err(&e, sql))?;
    let how: Vec<ReadAs> = rows
        .column_info()
        .iter()
        .map(|c| read_as_of(c.oracle_type()))
        .collect();
    if how.len() != spec.schema.fields().len() {
        return Err(SourceError::Other(format!(
            "the query returned {} columns where {} were described (SQL: {sql})",
            how.len(),
            spec.schema.fields().len()
        )));
    }
    let mut builder = BatchBuilder::new(spec.schema.clone(), spec.batch_rows)
        .map_err(|c| SourceError::Other(format!("no Arrow builder for column {c}")))?;
    for row in rows {
        let row = row.map_err(|e| query_err(&e, sql))?;
        let values = row
            .sql_values()
            .iter()
            .zip(&how)
            .map(|(v, h)| read(v, *h))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|message| SourceError::Query {
                message,
                sql: sql.clone(),
            })?;
        for (i, v) in values.iter().enumerate() {
            if let Err(reason) = oracle_types::append(builder.column(i), v) {
                let key = (!spec.key_columns.is_empty()).then(|| {
                    let parts: Vec<String> = spec
                        .key_columns
                        .iter()
                        .map(|&k| {
                            values
                                .get(k)
                                .map_or_else(|| "?".into(), oracle_types::display)
                        })
                        .collect();
                    parts.join(", ")
                });
                return Err(SourceError::BadValue {
                    column: spec.schema.field(i).name().clone(),
                    key,
                    value: oracle_types::display(v),
                    reason,
                });
            }
        }
        if builder.end_row() {
            let batch = builder
                .finish()
                .map_err(|e| SourceError::Other(e.to_string()))?;
            if tx.blocking_send(Ok(batch)).is_err() {
                return Ok(()); // the reader stopped
            }
        }
    }
    if !builder.is_empty() {
        let batch = builder
            .finish()
            .map_err(|e| SourceError::Other(e.to_string()))?;
        let _ = tx.blocking_send(Ok(batch));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::sql::select_sql;
    use crate::plan::window::Window;

    #[test]
    fn connect_strings() {
        let mut s = SourceSecret {
            host: Some("db".into()),
            service_name: Some("ORCLPDB1".into()),
            ..Default::default()
        };
        assert_eq!(connect_string(&s).unwrap(), "//db:1521/ORCLPDB1");
        s.port = Some(1600);
        s.service_name = None;
        s.sid = Some("ORCL".into());
        assert_eq!(
            connect_string(&s).unwrap(),
            "(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=db)(PORT=1600))(CONNECT_DATA=(SID=ORCL)))"
        );
        s.sid = None;
        assert!(connect_string(&s).is_err());
        s.connect_string = Some("tns_alias".into());
        assert_eq!(connect_string(&s).unwrap(), "tns_alias");
    }

    #[test]
    fn window_sql_uses_upper_case_names_and_numbered_binds() {
        let rel = Relation {
            schema: Some("hr".into()),
            table: Some("employees".into()),
            query: None,
            filter: None,
        };
        let t = |s: &str| CursorValue::parse(CursorKind::Timestamp, s).unwrap();
        let w = Window {
            column: "hire_date".into(),
            lo: Some(t("2024-01-01")),
            hi: t("2024-02-01T10:00:00.5"),
        };
        let q = select_sql(Dialect::Oracle, &rel, Some(&w), None);
        assert_eq!(
            q.sql,
            "SELECT * FROM \"HR\".\"EMPLOYEES\" WHERE \"HIRE_DATE\" >= :1 AND \"HIRE_DATE\" <= :2"
        );
        let dates = HashMap::from([("hire_date".to_string(), true)]);
        assert_eq!(bind_values(&q, &dates).len(), 2);
    }

    #[tokio::test]
    async fn missing_client_or_server_is_a_clean_connect_error() {
        let secret = SourceSecret {
            connect_string: Some("//127.0.0.1:1/NOPE".into()),
            username: Some("u".into()),
            password: Some(Secret::new("top-secret")),
            ..Default::default()
        };
        match OracleSource::connect("ora", &secret).await {
            Err(SourceError::Connect { message, .. }) => {
                eprintln!("connect error: {message}");
                assert!(!message.contains("top-secret"));
                if message.contains("DPI-1047") {
                    assert!(message.contains("Instant Client"), "{message}");
                }
            }
            Err(other) => panic!("unexpected error: {other}"),
            Ok(_) => panic!("connected to a closed port"),
        }
    }
}
