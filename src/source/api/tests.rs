use super::client::{Method, next_link, retry_after};
use super::error::Redactor;
use super::pagination::Pager;
use super::records::{Converter, infer};
use super::request::{ApiJob, check_endpoint, parse_method};
use super::settings::{ApiOptions, ApiSettings, Auth, Nested, Pagination};
use crate::config::secrets::{Secret, SourceSecret};
use arrow::array::AsArray;
use arrow::datatypes::{DataType, Int64Type, TimeUnit};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::json;

fn section() -> SourceSecret {
    SourceSecret {
        kind: Some("api".into()),
        base_url: Some("https://api.example.com/v1".into()),
        ..SourceSecret::default()
    }
}

#[test]
fn a_section_has_one_auth_kind_and_a_base_url() {
    let s = ApiSettings::of(&section()).unwrap();
    assert_eq!(s.auth, Auth::None);
    assert_eq!(s.timeout.as_secs(), 30);
    let key = SourceSecret {
        api_key: Some(Secret::new("k")),
        api_key_param: Some("key".into()),
        ..section()
    };
    assert!(
        matches!(ApiSettings::of(&key).unwrap().auth, Auth::ApiKeyQuery { name, .. } if name == "key")
    );
    let two = SourceSecret {
        bearer_token: Some(Secret::new("t")),
        ..key
    };
    let e = ApiSettings::of(&two).unwrap_err();
    assert!(
        e.contains("more than one auth kind (bearer_token, api_key)"),
        "{e}"
    );
    let oauth = SourceSecret {
        client_id: Some("id".into()),
        client_secret: Some(Secret::new("s")),
        ..section()
    };
    assert_eq!(
        ApiSettings::of(&oauth).unwrap_err(),
        "has OAuth2 settings but no `token_url`"
    );
    let none = SourceSecret {
        base_url: None,
        ..section()
    };
    assert!(
        ApiSettings::of(&none)
            .unwrap_err()
            .contains("no `base_url`")
    );
    let creds = SourceSecret {
        base_url: Some("https://u:p@api.example.com".into()),
        ..section()
    };
    assert!(
        ApiSettings::of(&creds)
            .unwrap_err()
            .contains("credentials inside `base_url`")
    );
    let rate = SourceSecret {
        max_requests_per_second: Some(0.0),
        ..section()
    };
    assert!(
        ApiSettings::of(&rate)
            .unwrap_err()
            .contains("max_requests_per_second")
    );
}

#[test]
fn the_pagination_cell_overrides_the_section_options() {
    let base = ApiOptions::default();
    let o = base
        .with_cell("cursor; next_cursor_path=meta.next; page_size=500 ; nested=json")
        .unwrap();
    assert_eq!(o.pagination, Pagination::Cursor);
    assert_eq!(o.next_cursor_path.as_deref(), Some("meta.next"));
    assert_eq!(o.page_size, Some(500));
    assert_eq!(o.nested, Nested::Json);
    assert_eq!(
        base.with_cell("records_path=data").unwrap().pagination,
        Pagination::None
    );
    for (cell, error) in [
        ("cursor", "needs `next_cursor_path`"),
        ("offset", "needs `page_size`"),
        ("scroll", "`scroll` is not a pagination type"),
        (
            "page; page_size=0",
            "`page_size` must be a whole number in 1..=100000",
        ),
        ("page; oops", "`oops` is not `key=value`"),
        ("page; colour=red", "`colour` is not an API option"),
        ("page; nested=xml", "`nested` must be struct or json"),
    ] {
        let e = base.with_cell(cell).unwrap_err();
        assert!(e.contains(error), "{cell}: {e}");
    }
}

#[test]
fn endpoints_join_the_base_url_and_keep_both_queries() {
    let job = |e: &str| ApiJob {
        endpoint: e.into(),
        method: Method::Get,
        body: None,
        options: None,
    };
    let base = url::Url::parse("https://h/api/v1?tenant=a").unwrap();
    assert_eq!(
        job("/orders?x=1").url(&base).unwrap().as_str(),
        "https://h/api/v1/orders?tenant=a&x=1"
    );
    let base = url::Url::parse("https://h/api/v1/").unwrap();
    assert_eq!(
        job("orders").url(&base).unwrap().as_str(),
        "https://h/api/v1/orders"
    );
    assert!(check_endpoint("https://evil/x").is_err());
    assert!(check_endpoint("//evil/x").is_err());
    assert!(check_endpoint("a/../b").is_err());
    assert!(check_endpoint("a b").is_err());
    assert_eq!(parse_method(Some(" post ")).unwrap(), Method::Post);
    assert_eq!(parse_method(None).unwrap(), Method::Get);
    assert!(parse_method(Some("PUT")).is_err());
}

fn pager(cell: &str) -> Pager {
    let opts = ApiOptions::default().with_cell(cell).unwrap();
    let url = url::Url::parse("https://h/x?s=1").unwrap();
    Pager::new(
        url,
        Method::Get,
        None,
        opts,
        vec![("since".into(), "5".into())],
    )
}

#[test]
fn pages_advance_and_stop_on_short_empty_or_missing_next() {
    let mut p = pager("offset; page_size=2");
    assert_eq!(
        p.request().unwrap().url.as_str(),
        "https://h/x?s=1&since=5&limit=2&offset=0"
    );
    p.advance(&json!([]), None, 2).unwrap();
    assert_eq!(
        p.request().unwrap().url.query(),
        Some("s=1&since=5&limit=2&offset=2")
    );
    assert_eq!(p.request().unwrap().page, 2);
    p.advance(&json!([]), None, 1).unwrap();
    assert!(p.request().is_none(), "a short page stops");

    let mut p = pager("page; start_page=0");
    p.advance(&json!([]), None, 5).unwrap();
    assert_eq!(p.request().unwrap().url.query(), Some("s=1&since=5&page=1"));
    p.advance(&json!([]), None, 0).unwrap();
    assert!(p.request().is_none(), "an empty page stops");

    let mut p = pager("cursor; next_cursor_path=next; total_path=total");
    p.advance(&json!({"next": "abc", "total": 10}), None, 4)
        .unwrap();
    assert_eq!(
        p.request().unwrap().url.query(),
        Some("s=1&since=5&cursor=abc")
    );
    let e = p.advance(&json!({"next": "abc"}), None, 4).unwrap_err();
    assert!(e.contains("same next page twice"), "{e}");
    let mut p = pager("cursor; next_cursor_path=next; total_path=total");
    p.advance(&json!({"next": "abc", "total": 4}), None, 4)
        .unwrap();
    assert!(p.request().is_none(), "the total is reached");
    let mut p = pager("cursor; next_cursor_path=next");
    p.advance(&json!({"next": null}), None, 4).unwrap();
    assert!(p.request().is_none(), "no next cursor stops");

    let mut p = pager("link; next_url_path=links.next");
    p.advance(&json!({"links": {"next": "/x?p=2"}}), None, 4)
        .unwrap();
    assert_eq!(p.request().unwrap().url.as_str(), "https://h/x?p=2");
}

#[test]
fn records_are_the_array_the_options_point_at() {
    let p = pager("page");
    let mut body = json!({"meta": {}, "rows": [{"a": 1}]});
    assert_eq!(p.take_records(&mut body).unwrap(), vec![json!({"a": 1})]);
    let mut body = json!({"a": [], "b": []});
    assert!(
        p.take_records(&mut body)
            .unwrap_err()
            .contains("several lists (`a`, `b`)")
    );
    let p = pager("page; records_path=data.items");
    let mut body = json!({"data": {"items": null}});
    assert!(p.take_records(&mut body).unwrap().is_empty());
    let mut body = json!({"data": {"items": 3}});
    assert!(
        p.take_records(&mut body)
            .unwrap_err()
            .contains("is a number, not a list")
    );
    let mut body = json!({"other": 1});
    let e = p.take_records(&mut body).unwrap_err();
    assert!(
        e.contains("no `data.items` (records_path); its top-level fields are `other`"),
        "{e}"
    );
}

#[test]
fn link_headers_and_retry_after_are_read() {
    let mut h = HeaderMap::new();
    h.append(
        "link",
        HeaderValue::from_static("<https://h/a?x=1,2>; rel=\"prev\", <?page=3>; rel=\"next last\""),
    );
    let base = url::Url::parse("https://h/list?page=2").unwrap();
    assert_eq!(
        next_link(&h, &base).unwrap().as_str(),
        "https://h/list?page=3"
    );
    assert!(next_link(&HeaderMap::new(), &base).is_none());
    h.insert("retry-after", HeaderValue::from_static("7"));
    assert_eq!(retry_after(&h).unwrap().as_secs(), 7);
    h.insert(
        "retry-after",
        HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
    );
    assert_eq!(
        retry_after(&h).unwrap().as_secs(),
        0,
        "a date in the past: no wait"
    );
}

#[test]
fn secrets_never_show_in_urls_or_text() {
    let r = Redactor::new(vec!["s3cr3t/+x".into(), "ab".into()], vec!["key".into()]);
    let url = url::Url::parse("https://h/x?key=anything&b=ab").unwrap();
    assert_eq!(
        r.url(&url),
        "https://h/x?key=***&b=ab",
        "short values are not hidden"
    );
    assert_eq!(
        r.text("token s3cr3t/+x and s3cr3t%2F%2Bx"),
        "token *** and ***"
    );
    assert_eq!(super::error::base64(b"user:p w"), "dXNlcjpwIHc=");
    assert_eq!(super::error::base64(b"ab"), "YWI=");
    assert_eq!(super::error::base64(b"abc"), "YWJj");
}

#[test]
fn inference_types_nested_values_and_the_cursor() {
    let sample = vec![
        json!({"id": 1, "at": "2024-01-01T10:00:00Z", "day": "2024-01-01", "o": {"a": 1}, "l": [1], "n": null}),
        json!({"id": 2, "at": "2024-01-02T10:00:00+02:00", "day": "2024-01-02", "o": {"a": 2}, "l": [], "n": null}),
    ];
    let s = infer(&sample, Nested::Struct, Some("AT")).unwrap();
    let ty = |n: &str| s.field_with_name(n).unwrap().data_type().clone();
    assert_eq!(
        ty("at"),
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    assert_eq!(
        ty("day"),
        DataType::Utf8,
        "only the cursor field becomes a time"
    );
    assert!(matches!(ty("o"), DataType::Struct(_)));
    assert!(matches!(ty("l"), DataType::List(_)));
    assert_eq!(ty("n"), DataType::Utf8, "a field of nulls only is text");
    let s = infer(&sample, Nested::Json, Some("day")).unwrap();
    assert_eq!(s.field_with_name("o").unwrap().data_type(), &DataType::Utf8);
    assert_eq!(
        s.field_with_name("day").unwrap().data_type(),
        &DataType::Date32
    );
    assert!(
        infer(&[json!(1)], Nested::Struct, None)
            .unwrap_err()
            .contains("record 1 is a number")
    );
    // An object that is always `{}` cannot be a Parquet struct: it is JSON text.
    let s = infer(&[json!({"m": {}})], Nested::Struct, None).unwrap();
    assert_eq!(s.field_with_name("m").unwrap().data_type(), &DataType::Utf8);
    let mut c = Converter::new(s, Nested::Struct);
    let batch = c.convert(vec![json!({"m": {}})], 1).unwrap();
    assert_eq!(batch.column(0).as_string::<i32>().value(0), "{}");
    let e = c.convert(vec![json!({"m": {"a": 1}})], 2).unwrap_err();
    assert!(e.contains("set nested = json"), "{e}");
}

#[test]
fn later_pages_convert_exactly_or_fail_naming_field_page_and_value() {
    let schema = infer(
        &[json!({"i": 1, "f": 1.5, "s": "x", "o": {"a": 1}})],
        Nested::Struct,
        None,
    )
    .unwrap();
    let mut c = Converter::new(schema, Nested::Struct);
    let rows = vec![
        json!({"i": 2.0, "f": 3, "s": 4, "o": {"a": 5.0}, "new": 1}),
        json!({}),
    ];
    let batch = c.convert(rows, 3).unwrap();
    assert_eq!(batch.num_rows(), 2);
    let col = |n: &str| batch.column_by_name(n).unwrap().clone();
    assert_eq!(col("i").as_primitive::<Int64Type>().value(0), 2);
    assert_eq!(col("s").as_string::<i32>().value(0), "4");
    assert!(
        batch.column_by_name("new").is_none(),
        "a field unseen by inference is left out"
    );
    for (row, error) in [
        (
            json!({"i": 2.5}),
            "field `i` on page 3: value 2.5 (a number) does not fit the integer column",
        ),
        (
            json!({"i": "7"}),
            "field `i` on page 3: value \"7\" (a string) does not fit the integer column",
        ),
        (
            json!({"f": 9007199254740993i64}),
            "field `f` on page 3: value 9007199254740993",
        ),
        (
            json!({"s": {"x": 1}}),
            "field `s` on page 3: value {\"x\":1} (an object) does not fit the text column",
        ),
        (
            json!({"o": {"a": "z"}}),
            "field `o` on page 3: in `a`: value \"z\"",
        ),
        (json!(5), "record 1 of page 3 is a number"),
    ] {
        let e = c.convert(vec![row], 3).unwrap_err();
        assert!(e.contains(error), "{e}");
    }
}
