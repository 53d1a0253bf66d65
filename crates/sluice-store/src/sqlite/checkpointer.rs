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

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// Pause between checkpoints.
const INTERVAL: Duration = Duration::from_millis(100);
/// WAL frames (pages) at which the WAL is rewound (about 16 MiB of 4 KiB pages).
const RESTART_FRAMES: i64 = 4_096;

/// The running checkpointer; dropping it stops the thread after a final checkpoint.
pub(crate) struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing through `conn`.
    pub(crate) fn spawn(conn: Connection) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sluice-sqlite-checkpoint".into())
            .spawn(move || run(&conn, &stopped))?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(conn: &Connection, stopped: &mpsc::Receiver<()>) {
    // Ends when the sender is dropped (Disconnected); a timeout means "checkpoint now".
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
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
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
        Ok((r.get(1)?, r.get(2)?))
    })
}
