//! An in-memory cache of applications by (org, id or uid).
//!
//! Every publish resolves its application first; without the cache that is one trip to the
//! read pool (a blocking-thread hand-off) per message. The cache is exact, not time-based:
//! this store is the only writer of its file (it holds the process lock), and every change
//! to an application goes through [`AppCache::changing`], which invalidates it.
//!
//! A lookup that read the row *before* a change committed must not put that old row back
//! after the change invalidated it; a generation counter, bumped before and after each
//! change, makes such a late insert a no-op.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use sluice_core::model::Application;

/// Entries kept before the cache starts over (bounds memory; a miss only costs a read).
const MAX_ENTRIES: usize = 10_000;

/// See the module documentation.
#[derive(Default)]
pub(crate) struct AppCache {
    entries: Mutex<HashMap<(String, String), Application>>,
    generation: AtomicU64,
}

/// A lookup in progress: remembers the generation it started in.
pub(crate) struct Miss {
    generation: u64,
}

impl AppCache {
    /// The cached application, or a [`Miss`] to complete with [`AppCache::fill`].
    pub(crate) fn get(&self, org_id: &str, key: &str) -> Result<Application, Miss> {
        let generation = self.generation.load(Ordering::Acquire);
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(&(org_id.to_string(), key.to_string())) {
            Some(app) => Ok(app.clone()),
            None => Err(Miss { generation }),
        }
    }

    /// Caches what a missed lookup read, unless an application changed meanwhile.
    pub(crate) fn fill(&self, miss: Miss, org_id: &str, key: &str, app: &Application) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) != miss.generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert((org_id.to_string(), key.to_string()), app.clone());
    }

    /// Runs `change` (a write to application `app_id`) with the cache invalidated around it.
    pub(crate) async fn changing<T>(
        &self,
        app_id: &str,
        change: impl std::future::Future<Output = T>,
    ) -> T {
        self.invalidate(app_id);
        let out = change.await;
        self.invalidate(app_id);
        out
    }

    fn invalidate(&self, app_id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|_, app| app.id != app_id);
    }
}
