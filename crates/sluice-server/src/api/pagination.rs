//! Svix cursor pagination: `limit` (default 50, 1..=250), `iterator` (the sort key of the
//! last item seen; a leading `-` pages backwards from it), `order`; answered as
//! `{data, iterator, prevIterator, done}`.

use serde::Serialize;
use sluice_store::{Listed, Order, Page};

use super::extract::Params;
use crate::error::{ApiError, ApiResult};

/// Default page size.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest page size.
pub const MAX_LIMIT: usize = 250;

/// Reads `limit`, `iterator` and `order` into a store [`Page`]. `valid_key` says whether an
/// iterator (without its `-`) has the shape of this list's sort key; garbage is a 422
/// rather than a silently empty page.
pub fn page_from(
    params: &Params,
    default_order: Order,
    valid_key: impl Fn(&str) -> bool,
) -> ApiResult<Page> {
    let limit = match params.int("limit")? {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => n as usize,
        Some(_) => {
            return Err(ApiError::validation(
                &["query", "limit"],
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ))
        }
    };
    let order = match params.get("order") {
        None => default_order,
        Some("ascending") => Order::Ascending,
        Some("descending") => Order::Descending,
        Some(_) => {
            return Err(ApiError::validation(
                &["query", "order"],
                "must be ascending or descending",
            ))
        }
    };
    let (iterator, backwards) = match params.get("iterator").filter(|s| !s.is_empty()) {
        None => (None, false),
        Some(it) => {
            let (key, backwards) = match it.strip_prefix('-') {
                Some(rest) => (rest, true),
                None => (it, false),
            };
            if !valid_key(key) {
                return Err(ApiError::validation(
                    &["query", "iterator"],
                    "invalid iterator",
                ));
            }
            (Some(key.to_string()), backwards)
        }
    };
    Ok(Page {
        limit,
        iterator,
        backwards,
        order,
    })
}

/// A page as the SDKs expect it. `iterator` is always present (possibly null).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T> {
    /// The items.
    pub data: Vec<T>,
    /// Cursor for the next page: the last item's key.
    pub iterator: Option<String>,
    /// Cursor for the previous page: `-` + the first item's key.
    pub prev_iterator: Option<String>,
    /// No more items in the direction that was paged.
    pub done: bool,
}

impl<T> ListResponse<T> {
    /// Builds the response from a store page. `key` gives an item's sort key; `out` maps it
    /// to its wire form. An empty page keeps the request's cursor, so a poller that reached
    /// the end can continue from the same place later.
    pub fn build<I>(
        listed: Listed<I>,
        page: &Page,
        key: impl Fn(&I) -> String,
        out: impl FnMut(I) -> T,
    ) -> Self {
        Self::build_filtered(listed, page, key, |_| true, out)
    }

    /// Like [`Self::build`], but `keep` drops items after the cursor keys were taken from the
    /// scanned page (filters the store cannot apply). Pages may then be short; cursors stay
    /// exact, so nothing is skipped or repeated.
    pub fn build_filtered<I>(
        listed: Listed<I>,
        page: &Page,
        key: impl Fn(&I) -> String,
        keep: impl Fn(&I) -> bool,
        out: impl FnMut(I) -> T,
    ) -> Self {
        let first = listed.items.first().map(&key);
        let last = listed.items.last().map(&key);
        let iterator = last.or_else(|| page.iterator.clone());
        let prev_iterator = first
            .or_else(|| page.iterator.clone())
            .map(|k| format!("-{k}"));
        let data = listed
            .items
            .into_iter()
            .filter(|i| keep(i))
            .map(out)
            .collect();
        Self {
            data,
            iterator,
            prev_iterator,
            done: !listed.has_more,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    fn page(pairs: &[(&str, &str)]) -> ApiResult<Page> {
        page_from(&Params::from_pairs(pairs), Order::Ascending, |k| {
            k.starts_with("app_")
        })
    }

    #[test]
    fn defaults_and_bounds() {
        let p = page(&[]).unwrap();
        assert_eq!(
            (p.limit, p.iterator, p.backwards, p.order),
            (50, None, false, Order::Ascending)
        );
        assert_eq!(page(&[("limit", "250")]).unwrap().limit, 250);
        for bad in ["0", "251", "-1", "x"] {
            assert_eq!(
                page(&[("limit", bad)]).unwrap_err().status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{bad}"
            );
        }
        assert_eq!(
            page(&[("order", "descending")]).unwrap().order,
            Order::Descending
        );
        assert!(page(&[("order", "sideways")]).is_err());
    }

    #[test]
    fn iterator_direction() {
        let fwd = page(&[("iterator", "app_1")]).unwrap();
        assert_eq!(
            (fwd.iterator.as_deref(), fwd.backwards),
            (Some("app_1"), false)
        );
        let back = page(&[("iterator", "-app_1")]).unwrap();
        assert_eq!(
            (back.iterator.as_deref(), back.backwards),
            (Some("app_1"), true)
        );
        assert!(page(&[("iterator", "garbage")]).is_err());
        assert_eq!(page(&[("iterator", "")]).unwrap().iterator, None);
    }

    #[test]
    fn response_cursors() {
        let p = page(&[]).unwrap();
        let r = ListResponse::build(
            Listed {
                items: vec![1, 2, 3],
                has_more: true,
            },
            &p,
            |i| format!("k{i}"),
            |i| i,
        );
        assert_eq!(
            (r.iterator.as_deref(), r.prev_iterator.as_deref(), r.done),
            (Some("k3"), Some("-k1"), false)
        );
        let p = page(&[("iterator", "app_9")]).unwrap();
        let r: ListResponse<i32> = ListResponse::build(
            Listed {
                items: vec![],
                has_more: false,
            },
            &p,
            |i: &i32| format!("{i}"),
            |i| i,
        );
        assert_eq!(
            (r.iterator.as_deref(), r.prev_iterator.as_deref(), r.done),
            (Some("app_9"), Some("-app_9"), true)
        );
        let r = ListResponse::build_filtered(
            Listed {
                items: vec![1, 2, 3, 4],
                has_more: true,
            },
            &p,
            |i| format!("k{i}"),
            |i| i % 2 == 0,
            |i| i,
        );
        assert_eq!(r.data, vec![2, 4]);
        assert_eq!(
            (r.iterator.as_deref(), r.prev_iterator.as_deref()),
            (Some("k4"), Some("-k1"))
        );
        let json = serde_json::to_value(&r).unwrap();
        assert!(json.get("prevIterator").is_some() && json.get("iterator").is_some());
    }
}
