//! Append rows to the `SourceConfig` sheet of an existing `.xlsx` without rewriting it: the
//! sheet's XML gets new `<row>` elements (inline strings) before `</sheetData>`, its
//! `<dimension>` and the `sqref` ranges (dropdowns, conditional formats) that reached the last
//! row are extended; every other part of the zip is copied byte for byte.

use super::propose::Value;
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

/// Column letters of a 0-based index (`0` → `A`, `26` → `AA`).
pub fn col_letters(mut c: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// `(0-based column, 1-based row)` of a reference like `AB12`.
pub fn parse_ref(r: &str) -> Option<(u32, u32)> {
    let r = r.trim_start_matches('$');
    let split = r.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = r.split_at(split);
    let letters = letters.trim_end_matches('$');
    if letters.is_empty() || !letters.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let col = letters.bytes().fold(0u32, |a, b| {
        a * 26 + (b.to_ascii_uppercase() - b'A') as u32 + 1
    }) - 1;
    Some((col, digits.parse().ok()?))
}

fn escape(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The value of attribute `name` in one start tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let i = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[i..].find('"')?;
    Some(unescape(&tag[i..i + end]))
}

fn cell_xml(col: u32, row: u32, v: &Value) -> String {
    let r = format!("{}{row}", col_letters(col));
    match v {
        Value::Number(n) => format!("<c r=\"{r}\"><v>{n}</v></c>"),
        Value::Text(t) => format!(
            "<c r=\"{r}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
            escape(t)
        ),
    }
}

/// One `<row>` element of sheetData: byte range, row number, whether it holds any value.
struct RowSpan {
    start: usize,
    end: usize,
    r: u32,
    has_value: bool,
}

fn rows_of(xml: &str, from: usize, to: usize) -> Vec<RowSpan> {
    let mut out = Vec::new();
    let mut pos = from;
    let mut last = 0;
    while let Some(i) = xml[pos..to].find("<row").map(|i| i + pos) {
        let after = xml.as_bytes().get(i + 4).copied();
        if !matches!(after, Some(b' ' | b'>' | b'/')) {
            pos = i + 4;
            continue;
        }
        let Some(tag_end) = xml[i..to].find('>').map(|e| e + i) else {
            break;
        };
        let tag = &xml[i..=tag_end];
        let end = if tag.ends_with("/>") {
            tag_end + 1
        } else {
            xml[tag_end..to]
                .find("</row>")
                .map_or(to, |e| e + tag_end + 6)
        };
        let r = attr(tag, "r")
            .and_then(|r| r.parse().ok())
            .unwrap_or(last + 1);
        let body = &xml[tag_end..end];
        out.push(RowSpan {
            start: i,
            end,
            r,
            has_value: body.contains("<v") || body.contains("<is") || body.contains("<f"),
        });
        last = r;
        pos = end;
    }
    out
}

/// Extend `ref`/`sqref` ranges ending at or below `old_last` (and at or after the header) to
/// `new_last`: a dropdown that covered the rows down to the end keeps covering them.
fn extend_ranges(list: &str, header_row: u32, old_last: u32, new_last: u32) -> String {
    list.split(' ')
        .map(|range| {
            let Some((a, b)) = range.split_once(':') else {
                return range.to_string();
            };
            match (parse_ref(a), parse_ref(b)) {
                (Some((_, r1)), Some((c2, r2)))
                    if r1 <= old_last + 1
                        && r2 >= header_row.max(1)
                        && r2 >= old_last
                        && r2 < new_last =>
                {
                    format!("{a}:{}{new_last}", col_letters(c2))
                }
                _ => range.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn replace_attr_values(xml: &str, name: &str, f: impl Fn(&str) -> String) -> String {
    let needle = format!(" {name}=\"");
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(i) = rest.find(&needle) {
        let start = i + needle.len();
        let Some(len) = rest[start..].find('"') else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(&f(&rest[start..start + len]));
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

/// The sheet XML with `header` cells added to the header row and `rows` (absolute column →
/// value) written from row `first_row` on. Empty `<row>` elements in the way are replaced.
pub fn edit_sheet(
    xml: &str,
    header_row: u32,
    header: &[(u32, String)],
    first_row: u32,
    rows: &[BTreeMap<u32, Value>],
) -> Result<String, String> {
    let sd_open = xml
        .find("<sheetData")
        .ok_or("the sheet has no <sheetData>")?;
    let sd_body = xml[sd_open..]
        .find('>')
        .map(|e| e + sd_open + 1)
        .ok_or("broken <sheetData>")?;
    if xml[..sd_body].ends_with("/>") {
        return Err("the sheet has no rows".into());
    }
    let sd_close = xml[sd_body..]
        .find("</sheetData>")
        .map(|e| e + sd_body)
        .ok_or("no </sheetData>")?;
    let spans = rows_of(xml, sd_body, sd_close);
    let new_last = first_row + rows.len() as u32 - 1;
    if let Some(s) = spans
        .iter()
        .find(|s| s.r >= first_row && s.r <= new_last && s.has_value)
    {
        return Err(format!("row {} already holds values", s.r));
    }
    let mut new_rows = String::new();
    for (i, cells) in rows.iter().enumerate() {
        let r = first_row + i as u32;
        new_rows.push_str(&format!("<row r=\"{r}\">"));
        for (c, v) in cells {
            new_rows.push_str(&cell_xml(*c, r, v));
        }
        new_rows.push_str("</row>");
    }
    let mut out = String::with_capacity(xml.len() + new_rows.len());
    let mut pos = sd_body;
    out.push_str(&xml[..sd_body]);
    let mut inserted = false;
    for s in &spans {
        if !inserted && s.r > new_last {
            out.push_str(&xml[pos..s.start]);
            out.push_str(&new_rows);
            pos = s.start;
            inserted = true;
        }
        if s.r >= first_row && s.r <= new_last {
            out.push_str(&xml[pos..s.start]);
            pos = s.end;
        } else if s.r == header_row && !header.is_empty() {
            let body = &xml[pos..s.end];
            let extra: String = header
                .iter()
                .map(|(c, h)| cell_xml(*c, header_row, &Value::Text(h.clone())))
                .collect();
            match body.strip_suffix("/>") {
                Some(open) => out.push_str(&format!("{open}>{extra}</row>")),
                None => {
                    out.push_str(&body[..body.len() - 6]);
                    out.push_str(&extra);
                    out.push_str("</row>");
                }
            }
            pos = s.end;
        }
    }
    out.push_str(&xml[pos..sd_close]);
    if !inserted {
        out.push_str(&new_rows);
    }
    out.push_str(&xml[sd_close..]);
    let max_col = rows
        .iter()
        .flat_map(|r| r.keys())
        .chain(header.iter().map(|(c, _)| c))
        .copied()
        .max()
        .unwrap_or(0);
    let old_last = first_row - 1;
    let out = replace_attr_values(&out, "sqref", |v| {
        extend_ranges(v, header_row, old_last, new_last)
    });
    Ok(match out.find("<dimension ref=\"") {
        Some(i) => {
            let start = i + 16;
            let len = out[start..].find('"').unwrap_or(0);
            let old = &out[start..start + len];
            let (a, b) = old.split_once(':').unwrap_or((old, old));
            let (c2, r2) = parse_ref(b).unwrap_or((0, 1));
            let dim = format!("{a}:{}{}", col_letters(c2.max(max_col)), r2.max(new_last));
            format!("{}{dim}{}", &out[..start], &out[start + len..])
        }
        None => out,
    })
}

/// The zip path of the worksheet named `sheet`.
fn sheet_part(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, sheet: &str) -> Result<String, String> {
    let read = |zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str| -> Result<String, String> {
        let mut s = String::new();
        zip.by_name(name)
            .map_err(|e| format!("{name}: {e}"))?
            .read_to_string(&mut s)
            .map_err(|e| format!("{name}: {e}"))?;
        Ok(s)
    };
    let book = read(zip, "xl/workbook.xml")?;
    let rid = book
        .split("<sheet ")
        .skip(1)
        .map(|t| &t[..t.find('>').unwrap_or(t.len())])
        .map(|t| format!(" {t}"))
        .find(|t| attr(t, "name").as_deref() == Some(sheet))
        .and_then(|t| attr(&t, "r:id"))
        .ok_or_else(|| format!("xl/workbook.xml does not list sheet `{sheet}`"))?;
    let rels = read(zip, "xl/_rels/workbook.xml.rels")?;
    let target = rels
        .split("<Relationship ")
        .skip(1)
        .map(|t| format!(" {}", &t[..t.find('>').unwrap_or(t.len())]))
        .find(|t| attr(t, "Id").as_deref() == Some(rid.as_str()))
        .and_then(|t| attr(&t, "Target"))
        .ok_or_else(|| format!("no relationship {rid} for sheet `{sheet}`"))?;
    Ok(match target.strip_prefix('/') {
        Some(abs) => abs.to_string(),
        None => format!("xl/{target}"),
    })
}

/// The workbook bytes with the sheet edited by `edit`; every other zip entry copied raw.
pub fn rewrite_sheet(
    bytes: &[u8],
    sheet: &str,
    edit: impl FnOnce(&str) -> Result<String, String>,
) -> Result<Vec<u8>, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let part = sheet_part(&mut zip, sheet)?;
    let mut xml = String::new();
    zip.by_name(&part)
        .map_err(|e| format!("{part}: {e}"))?
        .read_to_string(&mut xml)
        .map_err(|e| format!("{part}: {e}"))?;
    let edited = edit(&xml)?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let err = |e: zip::result::ZipError| e.to_string();
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(err)?;
        let name = entry.name().map_err(err)?.to_string();
        if name == part {
            drop(entry);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            out.start_file(name, opts).map_err(err)?;
            out.write_all(edited.as_bytes())
                .map_err(|e| e.to_string())?;
        } else {
            out.raw_copy_file(entry).map_err(err)?;
        }
    }
    Ok(out.finish().map_err(err)?.into_inner())
}

#[cfg(test)]
#[path = "xlsx_append_tests.rs"]
mod tests;
