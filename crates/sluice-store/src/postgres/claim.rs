//! (to be written)
#![allow(unused_imports)]
use sluice_core::queue::{ClaimRequest, Claimed};
use sluice_core::Millis;

use super::PgStore;
use crate::StoreResult;

pub(super) async fn claim_due(s: &PgStore, req: ClaimRequest) -> StoreResult<Vec<Claimed>> {
    let _ = (s, req);
    Err(super::errors::backend("claim_due: not yet on PostgreSQL"))
}

pub(super) async fn next_due_at(s: &PgStore) -> StoreResult<Option<Millis>> {
    let _ = s;
    Err(super::errors::backend("next_due_at: not yet on PostgreSQL"))
}
