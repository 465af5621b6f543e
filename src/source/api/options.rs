//! Paging and records options: set in the source section, overridden per job by the
//! `pagination_type` cell (`cursor; next_cursor_path=meta.next; page_size=500`).

use super::settings::MAX_PAGE_SIZE;
use crate::config::secrets::SourceSecret;

/// How pages follow each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pagination {
    /// One request.
    #[default]
    None,
    /// `limit_param` = page size, `offset_param` = records already read.
    Offset,
    /// `page_param` = page number from `start_page`.
    Page,
    /// `cursor_param` = the value at `next_cursor_path` of the previous page.
    Cursor,
    /// The RFC 8288 `Link: <…>; rel="next"` header, or the URL at `next_url_path`.
    Link,
}

impl Pagination {
    /// Parse a name (`none`, `offset`, `page`, `cursor`, `link`), ignoring case.
    pub fn parse(s: &str) -> Option<Pagination> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "none" | "" => Pagination::None,
            "offset" => Pagination::Offset,
            "page" => Pagination::Page,
            "cursor" => Pagination::Cursor,
            "link" => Pagination::Link,
            _ => return None,
        })
    }

    /// The name as written in secrets and the workbook.
    pub fn name(self) -> &'static str {
        match self {
            Pagination::None => "none",
            Pagination::Offset => "offset",
            Pagination::Page => "page",
            Pagination::Cursor => "cursor",
            Pagination::Link => "link",
        }
    }
}

/// What nested objects and arrays become.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Nested {
    /// Struct and List columns.
    #[default]
    Struct,
    /// JSON text columns.
    Json,
}

/// Paging and records options: the source section's, with a job's overrides applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiOptions {
    /// How pages follow each other.
    pub pagination: Pagination,
    /// Records per page asked for (sent as `limit_param`); required by `offset`.
    pub page_size: Option<u64>,
    /// Dotted path to the record list; `None`: the body if it is an array, else its single
    /// array field.
    pub records_path: Option<String>,
    /// Parameter carrying `page_size`.
    pub limit_param: String,
    /// Parameter carrying the offset (`offset`).
    pub offset_param: String,
    /// Parameter carrying the page number (`page`).
    pub page_param: String,
    /// First page number (`page`).
    pub start_page: u64,
    /// Parameter carrying the cursor (`cursor`).
    pub cursor_param: String,
    /// Dotted path to the next cursor in the body (`cursor`).
    pub next_cursor_path: Option<String>,
    /// Dotted path to the next page's URL in the body (`link`; else the `Link` header).
    pub next_url_path: Option<String>,
    /// Dotted path to the total record count; the run stops once it is reached.
    pub total_path: Option<String>,
    /// Parameter that sends an INCREMENTAL job's stored lower bound.
    pub incremental_param: Option<String>,
    /// Nested values as Struct/List or JSON text.
    pub nested: Nested,
}

impl Default for ApiOptions {
    fn default() -> ApiOptions {
        ApiOptions {
            pagination: Pagination::None,
            page_size: None,
            records_path: None,
            limit_param: "limit".into(),
            offset_param: "offset".into(),
            page_param: "page".into(),
            start_page: 1,
            cursor_param: "cursor".into(),
            next_cursor_path: None,
            next_url_path: None,
            total_path: None,
            incremental_param: None,
            nested: Nested::Struct,
        }
    }
}

/// The option keys a job may override, as written in secrets and in `pagination_type`.
pub const OPTION_KEYS: &[&str] = &[
    "pagination",
    "page_size",
    "records_path",
    "limit_param",
    "offset_param",
    "page_param",
    "start_page",
    "cursor_param",
    "next_cursor_path",
    "next_url_path",
    "total_path",
    "incremental_param",
    "nested",
];

impl ApiOptions {
    /// Set one option from its text; the error says what is wrong.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let value = value.trim();
        let text = || -> Result<String, String> {
            if value.is_empty() {
                return Err(format!("`{key}` is empty"));
            }
            Ok(value.to_string())
        };
        let number = |max: u64, min: u64| -> Result<u64, String> {
            value
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| format!("`{key}` must be a whole number in {min}..={max}"))
        };
        match key.trim() {
            "pagination" => {
                self.pagination = Pagination::parse(value).ok_or_else(|| {
                    format!(
                        "`{}` is not a pagination type (none, offset, page, cursor or link)",
                        crate::config::rules::shown(value)
                    )
                })?
            }
            "page_size" => self.page_size = Some(number(MAX_PAGE_SIZE, 1)?),
            "records_path" => self.records_path = Some(text()?),
            "limit_param" => self.limit_param = text()?,
            "offset_param" => self.offset_param = text()?,
            "page_param" => self.page_param = text()?,
            "start_page" => self.start_page = number(u64::from(u32::MAX), 0)?,
            "cursor_param" => self.cursor_param = text()?,
            "next_cursor_path" => self.next_cursor_path = Some(text()?),
            "next_url_path" => self.next_url_path = Some(text()?),
            "total_path" => self.total_path = Some(text()?),
            "incremental_param" => self.incremental_param = Some(text()?),
            "nested" => {
                self.nested = match value.to_ascii_lowercase().as_str() {
                    "struct" => Nested::Struct,
                    "json" => Nested::Json,
                    _ => return Err("`nested` must be struct or json".into()),
                }
            }
            other => {
                return Err(format!(
                    "`{}` is not an API option (use {})",
                    crate::config::rules::shown(other),
                    OPTION_KEYS.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Apply a job's `pagination_type` cell: a type, then `;`-separated `key=value` overrides
    /// (`cursor; next_cursor_path=meta.next; page_size=500`), or only overrides.
    pub fn with_cell(&self, cell: &str) -> Result<ApiOptions, String> {
        let out = self.apply_cell(cell)?;
        out.check()?;
        Ok(out)
    }

    /// [`ApiOptions::with_cell`] without [`ApiOptions::check`]: the cell's syntax and values only.
    pub fn apply_cell(&self, cell: &str) -> Result<ApiOptions, String> {
        let mut out = self.clone();
        for (i, part) in cell.split(';').enumerate() {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            match part.split_once('=') {
                Some((k, v)) => out.set(k.trim(), v)?,
                None if i == 0 => out.set("pagination", part)?,
                None => {
                    return Err(format!(
                        "`{}` is not `key=value` (only the first item may be a bare pagination type)",
                        crate::config::rules::shown(part)
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Options that only make sense together.
    pub fn check(&self) -> Result<(), String> {
        match self.pagination {
            Pagination::Cursor if self.next_cursor_path.is_none() => Err(
                "cursor pagination needs `next_cursor_path` (where the next cursor is in the body)"
                    .into(),
            ),
            Pagination::Offset if self.page_size.is_none() => {
                Err("offset pagination needs `page_size`".into())
            }
            _ => Ok(()),
        }
    }

    /// The section's options, as text pairs for [`ApiOptions::set`].
    pub(super) fn from_secret(s: &SourceSecret) -> Result<ApiOptions, String> {
        let mut out = ApiOptions::default();
        let pairs: [(&str, Option<String>); 13] = [
            ("pagination", s.pagination.clone()),
            ("page_size", s.page_size.map(|n| n.to_string())),
            ("records_path", s.records_path.clone()),
            ("limit_param", s.limit_param.clone()),
            ("offset_param", s.offset_param.clone()),
            ("page_param", s.page_param.clone()),
            ("start_page", s.start_page.map(|n| n.to_string())),
            ("cursor_param", s.cursor_param.clone()),
            ("next_cursor_path", s.next_cursor_path.clone()),
            ("next_url_path", s.next_url_path.clone()),
            ("total_path", s.total_path.clone()),
            ("incremental_param", s.incremental_param.clone()),
            ("nested", s.nested.clone()),
        ];
        for (k, v) in pairs {
            if let Some(v) = v {
                out.set(k, &v)?;
            }
        }
        Ok(out)
    }
}
