//! Whose endpoints a route addresses. A source's endpoints are the endpoints of its
//! application, so `/api/v1/app/{app_id}/endpoint…` and
//! `/ingest/api/v1/source/{source_id}/endpoint…` are one set of handlers, wired once
//! ([`super::endpoint_routes`]): each handler extracts an [`Owner`] (or an [`EndpointRef`])
//! from the matched path and resolves it to the application the operations work on.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::ops::{self, Ctx};

/// The application of an endpoint route, as named by its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// `{app_id}`: an application id or uid.
    App(String),
    /// `{source_id}`: a source id or uid (org tokens only).
    Source(String),
}

impl Owner {
    /// The key the endpoint operations take: the application's id or uid, or the id of the
    /// source's application.
    pub async fn app_key(self, ctx: Ctx<'_>, caller: &Caller) -> ops::Result<String> {
        match self {
            Self::App(key) => Ok(key),
            Self::Source(key) => ops::sources::app_of(ctx, caller, &key).await,
        }
    }
}

/// An endpoint route's owner and its `{endpoint_id}` (an id or uid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRef {
    /// Whose endpoint.
    pub owner: Owner,
    /// The endpoint's id or uid.
    pub endpoint: String,
}

async fn params<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
) -> Result<HashMap<String, String>, ApiError> {
    let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    Ok(params)
}

fn owner_of(params: &mut HashMap<String, String>) -> Result<Owner, ApiError> {
    if let Some(app) = params.remove("app_id") {
        return Ok(Owner::App(app));
    }
    params
        .remove("source_id")
        .map(Owner::Source)
        .ok_or_else(|| ApiError::internal("endpoint route without {app_id} or {source_id}"))
}

impl<S: Send + Sync> FromRequestParts<S> for Owner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        owner_of(&mut params(parts, state).await?)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for EndpointRef {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let mut params = params(parts, state).await?;
        let owner = owner_of(&mut params)?;
        let endpoint = params
            .remove("endpoint_id")
            .ok_or_else(|| ApiError::internal("endpoint route without {endpoint_id}"))?;
        Ok(Self { owner, endpoint })
    }
}
