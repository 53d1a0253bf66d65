//! Values on their way from SQLite to PostgreSQL: each converted by the type of its target
//! column, and bound as that type.

use rusqlite::types::Value;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};

/// A column's PostgreSQL type, as far as the schema uses types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    BigInt,
    Integer,
    Boolean,
    Bytea,
}

/// A value as the target column takes it.
#[derive(Debug)]
pub(super) enum PgValue {
    Null,
    Text(String),
    BigInt(i64),
    Integer(i32),
    Boolean(bool),
    Bytea(Vec<u8>),
}

impl ToSql for PgValue {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            PgValue::Null => Ok(IsNull::Yes),
            PgValue::Text(v) => v.to_sql(ty, out),
            PgValue::BigInt(v) => v.to_sql(ty, out),
            PgValue::Integer(v) => v.to_sql(ty, out),
            PgValue::Boolean(v) => v.to_sql(ty, out),
            PgValue::Bytea(v) => v.to_sql(ty, out),
        }
    }

    /// The value was converted for its column's type (see [`convert`]).
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// Converts a SQLite value for a column of `kind`: integers to the width of the column (0
/// and 1 to booleans), and text or blobs as the same bytes. Anything else is an error.
pub(super) fn convert(v: Value, kind: Kind) -> Result<PgValue, String> {
    Ok(match (v, kind) {
        (Value::Null, _) => PgValue::Null,
        (Value::Text(s), Kind::Text) => PgValue::Text(s),
        (Value::Blob(b), Kind::Text) => {
            PgValue::Text(String::from_utf8(b).map_err(|_| "a blob that is not UTF-8")?)
        }
        (Value::Integer(i), Kind::BigInt) => PgValue::BigInt(i),
        (Value::Integer(i), Kind::Integer) => {
            PgValue::Integer(i32::try_from(i).map_err(|_| format!("{i} is out of range"))?)
        }
        (Value::Integer(i @ (0 | 1)), Kind::Boolean) => PgValue::Boolean(i == 1),
        (Value::Blob(b), Kind::Bytea) => PgValue::Bytea(b),
        (Value::Text(s), Kind::Bytea) => PgValue::Bytea(s.into_bytes()),
        (v, kind) => return Err(format!("{v:?} does not fit a {kind:?} column")),
    })
}

pub(super) fn size_of(v: &PgValue) -> usize {
    match v {
        PgValue::Text(s) => s.len(),
        PgValue::Bytea(b) => b.len(),
        _ => 8,
    }
}
