use super::*;
use deltalake::kernel::{DataType as DeltaType, PrimitiveType};

fn table(cols: &[(&str, DataType)]) -> StructType {
    delta_schema(&Schema::new(
        cols.iter()
            .map(|(n, t)| Field::new(*n, t.clone(), false))
            .collect::<Vec<_>>(),
    ))
    .unwrap()
}

fn plan(
    current: &StructType,
    load: &StructType,
    policy: SchemaChange,
    replace: bool,
) -> Result<SchemaPlan, DeltaError> {
    plan_schema(
        "t",
        current,
        load,
        policy,
        replace,
        false,
        &["ID".to_string()],
    )
}

#[test]
fn nullability_alone_is_no_change() {
    let a = table(&[("id", DataType::Int64)]);
    let b = delta_schema(&Schema::new(vec![Field::new("id", DataType::Int64, true)])).unwrap();
    let p = plan(&a, &b, SchemaChange::Fail, false).unwrap();
    assert!(p.new_schema.is_none() && p.diff.is_none());
}

#[test]
fn evolve_adds_new_columns_as_nullable_and_keeps_dropped_ones() {
    let current = table(&[("id", DataType::Int64), ("old", DataType::Utf8)]);
    let load = table(&[("id", DataType::Int64), ("new", DataType::Int32)]);
    let p = plan(&current, &load, SchemaChange::Evolve, false).unwrap();
    let s = p.new_schema.clone().expect("schema changes");
    let names: Vec<_> = s.fields().map(|f| f.name().clone()).collect();
    assert_eq!(
        names,
        ["id", "old", "new"],
        "table columns first, dropped ones kept"
    );
    let new = s.field("new").unwrap();
    assert!(new.is_nullable(), "old files read the new column as NULL");
    assert_eq!(
        new.data_type(),
        &DeltaType::Primitive(PrimitiveType::Integer)
    );
    assert!(p.adds_columns());
    let diff = p.diff.unwrap().to_string();
    assert!(
        diff.contains("added `new`") && diff.contains("dropped `old`"),
        "{diff}"
    );
}

#[test]
fn evolve_with_only_dropped_columns_keeps_the_schema() {
    let current = table(&[("id", DataType::Int64), ("old", DataType::Utf8)]);
    let load = table(&[("id", DataType::Int64)]);
    let p = plan(&current, &load, SchemaChange::Evolve, false).unwrap();
    assert!(p.new_schema.is_none());
    assert!(!p.adds_columns());
    assert_eq!(p.diff.unwrap().dropped.len(), 1);
}

#[test]
fn a_type_change_is_refused_naming_column_and_types_even_a_widening() {
    let current = table(&[("id", DataType::Int64), ("n", DataType::Int32)]);
    let load = table(&[("id", DataType::Int64), ("n", DataType::Int64)]);
    let e = plan(&current, &load, SchemaChange::Evolve, false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("column `n` changed type from integer to long") && e.contains("--full-refresh"),
        "{e}"
    );
    // A FULL load replaces the table and its schema.
    let p = plan(&current, &load, SchemaChange::Evolve, true).unwrap();
    assert_eq!(p.new_schema, Some(load));
}

#[test]
fn fail_refuses_any_change_unless_forced() {
    let current = table(&[("id", DataType::Int64)]);
    let load = table(&[("id", DataType::Int64), ("x", DataType::Utf8)]);
    for replace in [false, true] {
        let e = plan(&current, &load, SchemaChange::Fail, replace)
            .unwrap_err()
            .to_string();
        assert!(e.contains("schema_change = fail and added `x`"), "{e}");
    }
    let forced = plan_schema("t", &current, &load, SchemaChange::Fail, true, true, &[]).unwrap();
    assert_eq!(forced.new_schema, Some(load));
}

#[test]
fn a_dropped_key_column_is_refused() {
    let current = table(&[("id", DataType::Int64), ("v", DataType::Utf8)]);
    let load = table(&[("v", DataType::Utf8)]);
    let e = plan(&current, &load, SchemaChange::Evolve, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("primary_key column `id` was dropped"), "{e}");
}
