//! WAL checkpoints on their own thread.
//!
//! SQLite normally checkpoints inside the COMMIT that pushes the WAL past 1,000 pages: the
//! writer thread then copies pages into the database file and fsyncs it while every queued
//! write waits. Measured under 64-connection ingest, that put about half of the writer's
//! time inside COMMIT. So the writer runs with `wal_autocheckpoint = 0`, and this thread
//! runs PASSIVE checkpoints on its own connection: they never block the writer or readers,
//! and a WAL that is fully checkpointed is rewritten from its start, so commits overwrite
//! blocks already allocated instead of growing the file.
//!
//! Under constant reads a fully checkpointed WAL is still never rewound (some reader always
//! holds a read mark), so it would grow for ever, and every commit's fsync would also pay
//! for extending the file (measured: ~1 ms per commit instead of ~0.2 ms). So once the WAL
//! holds [`RESTART_FRAMES`] frames, a RESTART checkpoint waits for the readers of the moment
//! (microseconds) and rewinds it: the file keeps its size and later commits overwrite
//! blocks that are already allocated. Most frames are copied by the PASSIVE checkpoint
//! before it, so the RESTART holds the writer back only briefly.
//!
//! On request ([`Checkpointer::truncate`]) it runs a TRUNCATE checkpoint: every frame is
//! copied into the database file and the WAL is cut to zero bytes. Expunging a payload
//! uses it, so old frames that still hold the payload do not linger in the WAL.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// Pause between checkpoints.
const INTERVAL: Duration = Duration::from_millis(100);
/// WAL frames (pages) at which the WAL is rewound (about 16 MiB of 4 KiB pages).
const RESTART_FRAMES: i64 = 4_096;

/// Tries of a requested TRUNCATE checkpoint before giving up (each waits up to the busy
/// timeout for readers and the writer).
const TRUNCATE_TRIES: usize = 3;

/// A request for a TRUNCATE checkpoint, answered when it is done.
type TruncateRequest = tokio::sync::oneshot::Sender<Result<(), String>>;

/// The running checkpointer; dropping it stops the thread after a final checkpoint.
pub(crate) struct Checkpointer {
    requests: Option<mpsc::Sender<TruncateRequest>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing through `conn`.
    pub(crate) fn spawn(conn: Connection) -> std::io::Result<Self> {
        let (requests, incoming) = mpsc::channel::<TruncateRequest>();
        let thread = std::thread::Builder::new()
            .name("sluice-sqlite-checkpoint".into())
            .spawn(move || run(&conn, &incoming))?;
        Ok(Self {
            requests: Some(requests),
            thread: Some(thread),
        })
    }

    /// Checkpoints the whole WAL into the database file and truncates the WAL to zero
    /// bytes. Fails if readers or the writer kept it busy through every try.
    pub(crate) async fn truncate(&self) -> Result<(), String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.requests
            .as_ref()
            .ok_or("the checkpointer has stopped")?
            .send(tx)
            .map_err(|_| "the checkpointer has stopped")?;
        rx.await
            .map_err(|_| "the checkpointer stopped".to_string())?
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.requests.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(conn: &Connection, incoming: &mpsc::Receiver<TruncateRequest>) {
    // Ends when the sender is dropped (Disconnected); a timeout means "checkpoint now".
    loop {
        match incoming.recv_timeout(INTERVAL) {
            Ok(reply) => {
                let _ = reply.send(truncate(conn));
                continue;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        match checkpoint(conn, "PASSIVE") {
            Ok((log, _)) if log >= RESTART_FRAMES => {
                if let Err(e) = checkpoint(conn, "RESTART") {
                    tracing::warn!(error = %e, "WAL restart checkpoint failed");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }
    let _ = checkpoint(conn, "PASSIVE");
}

/// Runs one checkpoint; returns (frames in the WAL, frames checkpointed).
fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<(i64, i64)> {
    checkpoint_busy(conn, mode).map(|(_, log, done)| (log, done))
}

/// Runs one checkpoint; returns (busy, frames in the WAL, frames checkpointed). `busy` is
/// set when readers or the writer kept a blocking checkpoint from completing.
fn checkpoint_busy(conn: &Connection, mode: &str) -> rusqlite::Result<(bool, i64, i64)> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
        Ok((r.get::<_, i64>(0)? != 0, r.get(1)?, r.get(2)?))
    })
}

/// A TRUNCATE checkpoint, tried a few times while something holds the WAL.
fn truncate(conn: &Connection) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..TRUNCATE_TRIES {
        match checkpoint_busy(conn, "TRUNCATE") {
            Ok((false, _, _)) => return Ok(()),
            Ok((true, _, _)) => last = "the WAL stayed busy".into(),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}
