//! Which page comes next, and when a run stops: an empty page, a short page, no next cursor or
//! link, or a reached total.

use super::client::{Method, PageRequest};
use super::settings::{ApiOptions, Pagination};
use serde_json::Value;
use std::sync::Arc;

/// Walks the pages of one request.
#[derive(Debug)]
pub struct Pager {
    opts: ApiOptions,
    start: url::Url,
    method: Method,
    body: Option<Arc<str>>,
    fixed: Vec<(String, String)>,
    next: Option<Next>,
    page: u64,
    seen: u64,
    last: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Next {
    Start,
    Offset(u64),
    Page(u64),
    Cursor(String),
    Url(url::Url),
}

impl Pager {
    /// Pages of `start` (the endpoint's URL), with `fixed` parameters on every request built
    /// here (an INCREMENTAL job's lower bound).
    pub fn new(
        start: url::Url,
        method: Method,
        body: Option<Arc<str>>,
        opts: ApiOptions,
        fixed: Vec<(String, String)>,
    ) -> Pager {
        Pager {
            opts,
            start,
            method,
            body,
            fixed,
            next: Some(Next::Start),
            page: 1,
            seen: 0,
            last: None,
        }
    }

    /// The next page's request; `None` once the run stopped.
    pub fn request(&self) -> Option<PageRequest> {
        let next = self.next.as_ref()?;
        let url = match next {
            Next::Url(u) => u.clone(),
            _ => {
                let mut url = self.start.clone();
                {
                    let mut q = url.query_pairs_mut();
                    for (k, v) in &self.fixed {
                        q.append_pair(k, v);
                    }
                    if let Some(size) = self.opts.page_size {
                        q.append_pair(&self.opts.limit_param, &size.to_string());
                    }
                    match (next, self.opts.pagination) {
                        (Next::Start, Pagination::Offset) => {
                            q.append_pair(&self.opts.offset_param, "0");
                        }
                        (Next::Start, Pagination::Page) => {
                            q.append_pair(&self.opts.page_param, &self.opts.start_page.to_string());
                        }
                        (Next::Offset(o), _) => {
                            q.append_pair(&self.opts.offset_param, &o.to_string());
                        }
                        (Next::Page(p), _) => {
                            q.append_pair(&self.opts.page_param, &p.to_string());
                        }
                        (Next::Cursor(c), _) => {
                            q.append_pair(&self.opts.cursor_param, c);
                        }
                        _ => {}
                    }
                }
                if url.query() == Some("") {
                    url.set_query(None);
                }
                url
            }
        };
        Some(PageRequest {
            url,
            method: self.method,
            body: self.body.clone(),
            page: self.page,
        })
    }

    /// Take the records out of a page's body (the rest stays for [`Pager::advance`]).
    pub fn take_records(&self, body: &mut Value) -> Result<Vec<Value>, String> {
        let found = match &self.opts.records_path {
            Some(path) => {
                let top = fields(body);
                let v = at_mut(body, path).ok_or_else(|| {
                    format!(
                        "the body has no `{path}` (records_path); its top-level fields are {top}"
                    )
                })?;
                match v.take() {
                    Value::Array(a) => a,
                    Value::Null => Vec::new(),
                    other => {
                        return Err(format!(
                            "`{path}` (records_path) is {}, not a list of records",
                            kind(&other)
                        ));
                    }
                }
            }
            None => {
                match body {
                    Value::Array(a) => std::mem::take(a),
                    Value::Object(map) => {
                        let lists: Vec<&String> = map
                            .iter()
                            .filter(|(_, v)| v.is_array())
                            .map(|(k, _)| k)
                            .collect();
                        match lists.as_slice() {
                            [one] => {
                                let key = (*one).clone();
                                match map.get_mut(&key).map(Value::take) {
                                    Some(Value::Array(a)) => a,
                                    _ => Vec::new(),
                                }
                            }
                            [] => return Err(
                                "the body is an object without a list of records; set records_path"
                                    .into(),
                            ),
                            many => {
                                let names: Vec<String> =
                                    many.iter().map(|k| format!("`{k}`")).collect();
                                return Err(format!(
                                    "the body has several lists ({}); set records_path to the one that holds the records",
                                    names.join(", ")
                                ));
                            }
                        }
                    }
                    other => return Err(format!("the body is {}, not records", kind(other))),
                }
            }
        };
        Ok(found)
    }

    /// Move past a page that held `count` records: decide the next request or stop.
    /// `next_link` is the `Link: rel="next"` target of the answer.
    pub fn advance(
        &mut self,
        body: &Value,
        next_link: Option<url::Url>,
        count: usize,
    ) -> Result<(), String> {
        let current = self.next.take();
        self.page += 1;
        self.seen += count as u64;
        if count == 0 {
            return Ok(());
        }
        if let Some(path) = &self.opts.total_path {
            match at(body, path) {
                Some(Value::Number(n)) => {
                    if n.as_f64().is_some_and(|t| self.seen as f64 >= t) {
                        return Ok(());
                    }
                }
                Some(Value::Null) | None => {}
                Some(other) => {
                    return Err(format!(
                        "`{path}` (total_path) is {}, not a number",
                        kind(other)
                    ));
                }
            }
        }
        let short = self.opts.page_size.is_some_and(|s| (count as u64) < s);
        self.next = match self.opts.pagination {
            Pagination::None => None,
            Pagination::Offset if short => None,
            Pagination::Offset => Some(Next::Offset(self.seen)),
            Pagination::Page if short => None,
            Pagination::Page => {
                let at = match current {
                    Some(Next::Page(p)) => p,
                    _ => self.opts.start_page,
                };
                Some(Next::Page(at + 1))
            }
            Pagination::Cursor => {
                let path = self.opts.next_cursor_path.as_deref().unwrap_or_default();
                match at(body, path) {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) if s.is_empty() => None,
                    Some(Value::String(s)) => Some(Next::Cursor(s.clone())),
                    Some(Value::Number(n)) => Some(Next::Cursor(n.to_string())),
                    Some(other) => {
                        return Err(format!(
                            "`{path}` (next_cursor_path) is {}, not a cursor",
                            kind(other)
                        ));
                    }
                }
            }
            Pagination::Link => {
                let base = match &current {
                    Some(Next::Url(u)) => u.clone(),
                    _ => self.start.clone(),
                };
                let from_body =
                    match &self.opts.next_url_path {
                        Some(path) => match at(body, path) {
                            None | Some(Value::Null) => None,
                            Some(Value::String(s)) if s.is_empty() => None,
                            Some(Value::String(s)) => Some(base.join(s).map_err(|e| {
                                format!("`{path}` (next_url_path) is not a URL ({e})")
                            })?),
                            Some(other) => {
                                return Err(format!(
                                    "`{path}` (next_url_path) is {}, not a URL",
                                    kind(other)
                                ));
                            }
                        },
                        None => next_link,
                    };
                from_body.map(Next::Url)
            }
        };
        // A server that points at the same page again would loop for ever.
        let key = match &self.next {
            Some(Next::Cursor(c)) => Some(format!("cursor {c}")),
            Some(Next::Url(u)) => Some(format!("url {u}")),
            _ => None,
        };
        if key.is_some() && key == self.last {
            return Err(
                "the server returned the same next page twice; stopping to avoid a loop".into(),
            );
        }
        self.last = key;
        Ok(())
    }

    /// Records seen so far.
    pub fn seen(&self) -> u64 {
        self.seen
    }
}

/// The value at a dotted path (`data.items`, `meta.0.next`).
pub fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, key| match v {
        Value::Object(m) => m.get(key),
        Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

fn at_mut<'a>(v: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    path.split('.').try_fold(v, |v, key| match v {
        Value::Object(m) => m.get_mut(key),
        Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
        _ => None,
    })
}

/// A JSON value's kind, for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn fields(v: &Value) -> String {
    match v {
        Value::Object(m) if !m.is_empty() => {
            let names: Vec<String> = m.keys().take(10).map(|k| format!("`{k}`")).collect();
            names.join(", ")
        }
        other => format!("none (it is {})", kind(other)),
    }
}
