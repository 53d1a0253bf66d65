//! A small pool of read-only connections, used from blocking threads.
//!
//! WAL mode lets these read while the writer commits; each query sees the last commit made
//! before it started. A semaphore bounds concurrent reads to the number of connections, so
//! taking a connection from the list never finds it empty.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::rows::backend;
use super::schema;
use crate::{StoreError, StoreResult};

/// Read-only connections plus the permits that hand them out.
pub(crate) struct ReadPool {
    conns: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl ReadPool {
    /// Opens `size` (at least one) read-only connections to `path`.
    pub(crate) fn open(path: &Path, size: usize) -> StoreResult<Arc<ReadPool>> {
        let size = size.max(1);
        let conns = (0..size)
            .map(|_| schema::open_reader(path))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Arc::new(ReadPool {
            conns: Mutex::new(conns),
            permits: Arc::new(Semaphore::new(size)),
        }))
    }

    /// Runs `f` on a pooled connection on a blocking thread.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::unavailable("the read pool is closed"))?;
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = pool
                .lock()
                .pop()
                .ok_or_else(|| StoreError::unavailable("the read pool is exhausted"))?;
            let out = catch_unwind(AssertUnwindSafe(|| f(&conn)))
                .unwrap_or_else(|_| Err(StoreError::backend("read query panicked")));
            pool.lock().push(conn);
            out
        })
        .await
        .map_err(backend)?
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Connection>> {
        // The list is only pushed and popped, so a poisoned lock still holds a valid list.
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }
}
