//! Exact in-memory caches of hot-path lookups: applications by (org, id or uid), and
//! sources by ingest-token hash.
//!
//! Every publish resolves its application first, and every inbound request its source;
//! without a cache that is one trip to the read pool (a blocking-thread hand-off) per
//! message. The caches are exact, not time-based: this store is the only writer of its file
//! (it holds the process lock), and every change to a cached row goes through
//! [`ExactCache::changing`], which invalidates every entry of that row.
//!
//! A lookup that read the row *before* a change committed must not put that old row back
//! after the change invalidated it; a generation counter, bumped before and after each
//! change, makes such a late insert a no-op.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Entries kept before a cache starts over (bounds memory; a miss only costs a read).
const MAX_ENTRIES: usize = 10_000;

/// A cached value knows the id of the row it came from, for invalidation.
pub(crate) trait RowId {
    /// The id a change names when it invalidates this entry.
    fn row_id(&self) -> &str;
}

impl RowId for sluice_core::model::Application {
    fn row_id(&self) -> &str {
        &self.id
    }
}

/// See the module documentation.
pub(crate) struct ExactCache<K, V> {
    entries: Mutex<HashMap<K, V>>,
    generation: AtomicU64,
}

impl<K, V> Default for ExactCache<K, V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }
}

/// A lookup in progress: remembers the generation it started in.
pub(crate) struct Miss {
    generation: u64,
}

impl<K: Eq + Hash, V: Clone + RowId> ExactCache<K, V> {
    /// The cached value, or a [`Miss`] to complete with [`ExactCache::fill`].
    pub(crate) fn get(&self, key: &K) -> Result<V, Miss> {
        let generation = self.generation.load(Ordering::Acquire);
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some(v) => Ok(v.clone()),
            None => Err(Miss { generation }),
        }
    }

    /// Caches what a missed lookup read, unless a row changed meanwhile.
    pub(crate) fn fill(&self, miss: Miss, key: K, value: &V) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) != miss.generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, value.clone());
    }

    /// Runs `change` (a write to row `id`) with the cache invalidated around it.
    pub(crate) async fn changing<T>(
        &self,
        id: &str,
        change: impl std::future::Future<Output = T>,
    ) -> T {
        self.invalidate(id);
        let out = change.await;
        self.invalidate(id);
        out
    }

    fn invalidate(&self, id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|_, v| v.row_id() != id);
    }
}
