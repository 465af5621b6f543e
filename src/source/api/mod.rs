//! REST API source: JSON pages of one endpoint read as Arrow batches. The columns are inferred
//! from the first pages; an INCREMENTAL job reads its window twice (the first pass finds `hi`,
//! the largest cursor) and filters `lo ≤ cursor ≤ hi` on the client.

pub mod auth;
pub mod client;
pub mod error;
pub mod headers;
pub mod options;
pub mod pagination;
pub mod records;
pub mod request;
pub mod settings;

use super::{Described, Extract, Native, Source, SourceError};
use crate::config::Job;
use crate::plan::boundary::{cursor_values, native};
use crate::plan::sql::{Dialect, Query, Relation};
use crate::plan::{CursorKind, CursorValue};
use crate::run::RetryPolicy;
use arrow::array::BooleanArray;
use arrow::compute::filter_record_batch;
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use client::{Client, Method, PageRequest};
use error::ApiError;
use futures::stream::BoxStream;
use pagination::Pager;
use records::Converter;
use serde_json::Value;
use settings::{ApiOptions, ApiSettings};
use std::sync::Arc;

pub use request::ApiJob;

/// Pages read to infer the columns, at most.
const INFER_PAGES: usize = 5;
/// Records read to infer the columns: fewer pages once this many are seen.
const INFER_RECORDS: usize = 1000;

/// One job's endpoint of an API source.
pub struct ApiSource {
    client: Arc<Client>,
    options: ApiOptions,
    start: url::Url,
    method: Method,
    body: Option<Arc<str>>,
    cursor: Option<String>,
}

impl ApiSource {
    /// The source for one job's rows (`job.api` holds its endpoint and options).
    pub fn open(
        name: &str,
        settings: &ApiSettings,
        job: &Job,
        retry: RetryPolicy,
    ) -> Result<Box<dyn Source>, SourceError> {
        let connect = |message: String| SourceError::Connect {
            source_type: crate::config::SourceType::Api,
            name: name.to_string(),
            message,
        };
        let api = job
            .api
            .as_ref()
            .ok_or_else(|| connect(format!("job {} has no api_endpoint", job.job_id)))?;
        let options = api.options(&settings.options).map_err(connect)?;
        let start = api.url(&settings.base_url).map_err(connect)?;
        let client =
            Client::new(Arc::new(settings.clone()), retry).map_err(|e| connect(e.to_string()))?;
        Ok(Box::new(ApiSource {
            client: Arc::new(client),
            options,
            start,
            method: api.method,
            body: api.body.as_deref().map(Arc::from),
            cursor: job.watermark_column.clone(),
        }))
    }

    /// A source that only answers `ping` (`ingest test-connection`): a GET of `base_url`.
    pub fn for_ping(name: &str, settings: &ApiSettings) -> Result<Box<dyn Source>, SourceError> {
        let client = Client::new(
            Arc::new(settings.clone()),
            RetryPolicy {
                max_retries: 0,
                backoff: std::time::Duration::ZERO,
            },
        )
        .map_err(|e| SourceError::Connect {
            source_type: crate::config::SourceType::Api,
            name: name.to_string(),
            message: e.to_string(),
        })?;
        Ok(Box::new(ApiSource {
            client: Arc::new(client),
            options: ApiOptions::default(),
            start: settings.base_url.clone(),
            method: Method::Get,
            body: None,
            cursor: None,
        }))
    }

    /// The pages of this endpoint, sending `lo` as the `incremental_param` when set.
    fn pages(&self, lo: Option<&CursorValue>) -> Pages {
        let fixed = match (&self.options.incremental_param, lo) {
            (Some(p), Some(lo)) => vec![(p.clone(), lo.to_text())],
            _ => Vec::new(),
        };
        Pages {
            client: self.client.clone(),
            pager: Pager::new(
                self.start.clone(),
                self.method,
                self.body.clone(),
                self.options.clone(),
                fixed,
            ),
        }
    }

    fn no_sql(&self, what: &str) -> SourceError {
        SourceError::Other(format!("the API source does not run SQL ({what})"))
    }
}

/// The pages of one request, fetched one at a time.
struct Pages {
    client: Arc<Client>,
    pager: Pager,
}

impl Pages {
    /// The next page's records and number; `None` after the last page.
    async fn next(&mut self) -> Result<Option<(Vec<Value>, u64, String)>, ApiError> {
        let Some(req) = self.pager.request() else {
            return Ok(None);
        };
        let answer = self.client.fetch(&req).await?;
        let mut body = answer.body;
        let records = self
            .pager
            .take_records(&mut body)
            .map_err(|m| self.page_error(&req, m))?;
        self.pager
            .advance(&body, answer.next_link, records.len())
            .map_err(|m| self.page_error(&req, m))?;
        Ok(Some((records, req.page, self.client.shown(&req.url))))
    }

    fn page_error(&self, req: &PageRequest, message: String) -> ApiError {
        ApiError::Page {
            url: self.client.shown(&req.url),
            page: req.page,
            message,
        }
    }
}

fn page_error(url: &str, page: u64, message: String) -> SourceError {
    SourceError::Api(ApiError::Page {
        url: url.to_string(),
        page,
        message,
    })
}

/// The rows of `batch` whose cursor (column `idx`) is inside `lo ≤ c ≤ hi`, and how many had
/// no cursor.
fn window_filter(
    batch: &RecordBatch,
    idx: usize,
    lo: Option<i128>,
    hi: Option<i128>,
) -> Result<(RecordBatch, usize), SourceError> {
    let values = cursor_values(batch.column(idx)).map_err(|e| SourceError::Other(e.to_string()))?;
    let nulls = values.iter().filter(|v| v.is_none()).count();
    let keep: Vec<bool> = values
        .iter()
        .map(|v| v.is_some_and(|v| lo.is_none_or(|l| v >= l) && hi.is_none_or(|h| v <= h)))
        .collect();
    if keep.iter().all(|k| *k) {
        return Ok((batch.clone(), nulls));
    }
    let kept = filter_record_batch(batch, &BooleanArray::from(keep))
        .map_err(|e| SourceError::Other(e.to_string()))?;
    Ok((kept, nulls))
}

/// A cursor column's compared value back as a cursor.
fn cursor_of(v: i128, ty: &DataType) -> Option<CursorValue> {
    let micros = |v: i128| {
        let v = i64::try_from(v).ok()?;
        chrono::DateTime::from_timestamp_micros(v)
    };
    Some(match ty {
        DataType::Date32 => {
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
            CursorValue::Date(epoch + chrono::Duration::days(i64::try_from(v).ok()?))
        }
        DataType::Timestamp(_, None) => CursorValue::Timestamp(micros(v)?.naive_utc()),
        DataType::Timestamp(_, Some(_)) => CursorValue::TimestampTz(micros(v)?.fixed_offset()),
        _ => CursorValue::Int(v),
    })
}

fn column_of(schema: &SchemaRef, column: &str) -> Result<usize, SourceError> {
    schema
        .fields()
        .iter()
        .position(|f| f.name().eq_ignore_ascii_case(column))
        .ok_or_else(|| SourceError::MissingColumn(column.to_string()))
}

fn bound(
    v: Option<&CursorValue>,
    ty: &DataType,
    column: &str,
) -> Result<Option<i128>, SourceError> {
    match v {
        None => Ok(None),
        Some(v) => native(v, ty).map(Some).ok_or_else(|| {
            SourceError::Other(format!(
                "the watermark {} cannot be compared with `{column}` ({ty})",
                v.to_text()
            ))
        }),
    }
}

#[async_trait::async_trait]
impl Source for ApiSource {
    fn dialect(&self) -> Dialect {
        // Never sent: the SQL the planner builds for an API job is not used.
        Dialect::Sqlite
    }

    async fn describe(&self, _rel: &Relation) -> Result<Described, SourceError> {
        let mut pages = self.pages(None);
        let (mut sample, mut read) = (Vec::new(), 0);
        let mut first_url = String::new();
        while read < INFER_PAGES && sample.len() < INFER_RECORDS {
            let Some((records, _, url)) = pages.next().await? else {
                break;
            };
            if read == 0 {
                first_url = url;
            }
            sample.extend(records);
            read += 1;
        }
        if sample.is_empty() {
            return Err(page_error(
                &first_url,
                1,
                "the first page has no records, so the columns cannot be inferred".into(),
            ));
        }
        let schema = records::infer(&sample, self.options.nested, self.cursor.as_deref())
            .map_err(|m| page_error(&first_url, 1, m))?;
        Ok(Described {
            schema: schema.clone(),
            native: Native::Api(schema),
        })
    }

    async fn bounds(
        &self,
        _native: &mut Native,
        _query: &Query,
        _column: &str,
        _kind: CursorKind,
    ) -> Result<Option<(CursorValue, CursorValue)>, SourceError> {
        Err(self.no_sql("bounds"))
    }

    async fn window_bounds(
        &self,
        native: &mut Native,
        _rel: &Relation,
        column: &str,
        _kind: CursorKind,
        lo: Option<&CursorValue>,
    ) -> Result<Option<(CursorValue, CursorValue)>, SourceError> {
        let Native::Api(schema) = native else {
            return Err(SourceError::Other(
                "the API source was not described".into(),
            ));
        };
        let idx = column_of(schema, column)?;
        let ty = schema.field(idx).data_type().clone();
        let lo_n = bound(lo, &ty, column)?;
        let mut converter = Converter::new(schema.clone(), self.options.nested);
        let mut pages = self.pages(lo);
        let (mut min, mut max, mut nulls) = (None::<i128>, None::<i128>, 0);
        while let Some((records, page, url)) = pages.next().await? {
            let batch = converter
                .convert(records, page)
                .map_err(|m| page_error(&url, page, m))?;
            let (kept, n) = window_filter(&batch, idx, lo_n, None)?;
            nulls += n;
            for v in cursor_values(kept.column(idx))
                .map_err(|e| SourceError::Other(e.to_string()))?
                .into_iter()
                .flatten()
            {
                min = Some(min.map_or(v, |m| m.min(v)));
                max = Some(max.map_or(v, |m| m.max(v)));
            }
        }
        if nulls > 0 {
            tracing::warn!(
                "{nulls} records have no `{column}`; an incremental load never reads them"
            );
        }
        Ok(match (min, max) {
            (Some(a), Some(b)) => cursor_of(a, &ty).zip(cursor_of(b, &ty)),
            _ => None,
        })
    }

    async fn null_count(
        &self,
        _native: &Native,
        _rel: &Relation,
        _column: &str,
    ) -> Result<u64, SourceError> {
        // Counted (and warned about) by the pass of `window_bounds`.
        Ok(0)
    }

    async fn count(&self, _native: &Native, _query: &Query) -> Result<u64, SourceError> {
        Err(self.no_sql("count"))
    }

    async fn text_rows(
        &self,
        _sql: &str,
        _params: &[Option<String>],
    ) -> Result<Vec<Vec<Option<String>>>, SourceError> {
        Err(self.no_sql("catalog"))
    }

    async fn ping(&self) -> Result<(), SourceError> {
        let req = PageRequest {
            url: self.start.clone(),
            method: Method::Get,
            body: None,
            page: 1,
        };
        match self.client.fetch(&req).await {
            Ok(_) | Err(ApiError::Page { .. }) => Ok(()),
            Err(ApiError::Status { status, .. }) if !matches!(status, 401 | 403) => Ok(()),
            Err(e) => Err(SourceError::Api(e)),
        }
    }

    fn extract(&self, spec: Extract) -> BoxStream<'static, Result<RecordBatch, SourceError>> {
        let lo = spec.window.as_ref().and_then(|w| w.lo);
        let mut pages = self.pages(lo.as_ref());
        let nested = self.options.nested;
        super::spawn_batches(move |tx| async move {
            let schema = spec.schema.clone();
            let window = match &spec.window {
                Some(w) => {
                    let idx = column_of(&schema, &w.column)?;
                    let ty = schema.field(idx).data_type().clone();
                    Some((
                        idx,
                        bound(w.lo.as_ref(), &ty, &w.column)?,
                        bound(Some(&w.hi), &ty, &w.column)?,
                    ))
                }
                None => None,
            };
            let mut converter = Converter::new(schema, nested);
            while let Some((records, page, url)) = pages.next().await? {
                if records.is_empty() {
                    continue;
                }
                let batch = converter
                    .convert(records, page)
                    .map_err(|m| page_error(&url, page, m))?;
                let batch = match window {
                    Some((idx, lo, hi)) => window_filter(&batch, idx, lo, hi)?.0,
                    None => batch,
                };
                if batch.num_rows() > 0 && tx.send(Ok(batch)).await.is_err() {
                    return Ok(());
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
