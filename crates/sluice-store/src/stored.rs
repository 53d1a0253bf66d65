//! How model values are stored, the same in every backend: JSON-ish fields are TEXT written
//! by serde_json, so both backends hold the same bytes (and `sluice copy-store` can copy
//! them as they are).

use serde::{Deserialize, Serialize};
use sluice_core::model::RetiredSecret;

use crate::StoreError;

/// Serialises a value stored as JSON text.
pub(crate) fn to_json<T: Serialize + ?Sized>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(StoreError::backend)
}

/// Serialises an optional list; `None` stays SQL NULL so "no filter" survives a round trip.
pub(crate) fn opt_json(v: &Option<Vec<String>>) -> Result<Option<String>, StoreError> {
    v.as_ref().map(to_json).transpose()
}

/// The stored shape of a retired secret (the model type carries no serde derives).
#[derive(Serialize, Deserialize)]
pub(crate) struct RetiredRow {
    sealed: Vec<u8>,
    expires_at: i64,
}

impl From<RetiredRow> for RetiredSecret {
    fn from(r: RetiredRow) -> Self {
        RetiredSecret {
            sealed: r.sealed,
            expires_at: r.expires_at,
        }
    }
}

/// Serialises retired secrets as a JSON array.
pub(crate) fn retired_json(v: &[RetiredSecret]) -> Result<String, StoreError> {
    let rows: Vec<RetiredRow> = v
        .iter()
        .map(|s| RetiredRow {
            sealed: s.sealed.clone(),
            expires_at: s.expires_at,
        })
        .collect();
    to_json(&rows)
}
