use super::*;

#[test]
fn column_letters_round_trip() {
    for (c, s) in [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")] {
        assert_eq!(col_letters(c), s);
        assert_eq!(parse_ref(&format!("{s}7")), Some((c, 7)));
    }
    assert_eq!(parse_ref("$B$2"), Some((1, 2)));
    assert_eq!(parse_ref("12"), None);
}

const SHEET: &str = r#"<worksheet><dimension ref="A1:C3"/><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="3" spans="1:3"><c r="B3" s="2"><v>5</v></c></row><row r="4" ht="30" customHeight="1"/><row r="9" ht="30" customHeight="1"/></sheetData><dataValidations count="2"><dataValidation sqref="B2:B3 D2:D1000"/><dataValidation sqref="E5"/></dataValidations></worksheet>"#;

#[test]
fn rows_are_appended_after_the_last_row_and_ranges_extended() {
    let rows = vec![
        BTreeMap::from([(0, Value::Text("a<&>\"b".into())), (2, Value::Number(7))]),
        BTreeMap::from([(1, Value::Text(" x ".into()))]),
    ];
    let out = edit_sheet(SHEET, 1, &[(3, "notes".into())], 4, &rows).unwrap();
    assert!(out.contains(r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="D1" t="inlineStr"><is><t xml:space="preserve">notes</t></is></c></row>"#), "{out}");
    assert!(out.contains(r#"<row r="3" spans="1:3"><c r="B3" s="2"><v>5</v></c></row><row r="4"><c r="A4" t="inlineStr"><is><t xml:space="preserve">a&lt;&amp;&gt;&quot;b</t></is></c><c r="C4"><v>7</v></c></row><row r="5"><c r="B5" t="inlineStr"><is><t xml:space="preserve"> x </t></is></c></row><row r="9" ht="30" customHeight="1"/>"#), "{out}");
    assert!(out.contains(r#"<dimension ref="A1:D5"/>"#), "{out}");
    assert!(out.contains(r#"sqref="B2:B5 D2:D1000""#), "{out}");
    assert!(out.contains(r#"sqref="E5""#), "{out}");
}

#[test]
fn a_row_holding_values_is_never_overwritten() {
    let rows = vec![BTreeMap::from([(0, Value::Number(1))])];
    assert!(
        edit_sheet(SHEET, 1, &[], 3, &rows)
            .unwrap_err()
            .contains("row 3")
    );
}
