//! Wake-ups across nodes: one connection per node `LISTEN`s on the schema's channel, and
//! after every commit that creates due work the writer's node sends a `pg_notify` there
//! ([`notifier`](super::notifier), coalesced, outside the writing transaction). A
//! notification wakes the local dispatcher through the store's [`Notify`].
//!
//! A notification whose payload is this node's name came from this node's own write, which
//! woke the dispatcher itself right after its commit; the listener skips it. So a write's wake-up of its own node has landed
//! when the write returns (as with SQLite), instead of arriving a moment later, when it
//! could be taken for the wake-up of a later write.
//!
//! The listening connection reconnects by itself when it is lost (the database restarted),
//! and wakes the dispatcher after each reconnect, since notifications sent while it was
//! away are gone. Polling (the dispatcher looks at the store at least every second) remains
//! the fallback, so a lost notification delays work, never loses it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, Notify};
use tokio_postgres::{AsyncMessage, NoTls};

/// Longest pause between reconnect attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The channel of a schema: one per schema, so that nodes of different Sluice deployments
/// (or tests) sharing one database do not wake each other. At most 63 bytes (the
/// identifier limit), lower-case.
pub(crate) fn channel_name(schema: &str) -> String {
    let mut name = format!("sluice_work_{schema}").to_lowercase();
    name.retain(|c| c.is_ascii_alphanumeric() || c == '_');
    name.truncate(63);
    name
}

/// Starts the listener; it runs until the returned task is aborted. `ready` is sent once
/// the first `LISTEN` is in place (and the wake-up that follows it is given), so that a
/// store that waits for it returns with its wake-ups already settled: no late start-up
/// wake-up lands after the caller has begun watching the signal.
pub(crate) fn spawn(
    config: tokio_postgres::Config,
    channel: Arc<str>,
    work: Arc<Notify>,
    node: Arc<str>,
    ready: oneshot::Sender<()>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        let mut ready = Some(ready);
        loop {
            match listen_once(&config, &channel, &work, &node, &mut ready).await {
                Ok(()) => backoff = Duration::from_millis(100),
                Err(e) => {
                    tracing::warn!(error = %e, "PostgreSQL LISTEN connection failed; retrying");
                }
            }
            // Whatever was notified while no connection listened is found by this wake.
            work.notify_one();
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    })
}

/// One listening session: returns when the connection ends.
async fn listen_once(
    config: &tokio_postgres::Config,
    channel: &str,
    work: &Notify,
    node: &str,
    ready: &mut Option<oneshot::Sender<()>>,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut conn) = config.connect(NoTls).await?;
    // The connection must be polled for the LISTEN to complete and for notifications to
    // arrive; the driver task polls it and relays each notification.
    let (tx, mut notes) = tokio::sync::mpsc::unbounded_channel::<()>();
    let own = node.to_string();
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| conn.poll_message(cx)).await {
                // This node's own writes woke it already (see `db::notify_from`).
                Some(Ok(AsyncMessage::Notification(n))) if n.payload() == own => {}
                Some(Ok(AsyncMessage::Notification(_))) => {
                    if tx.send(()).is_err() {
                        return Ok(());
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            }
        }
    });
    if let Err(e) = client.batch_execute(&format!("LISTEN \"{channel}\"")).await {
        driver.abort();
        return Err(e);
    }
    tracing::debug!(channel, "listening for work notifications");
    // A session that just (re)started may have missed notifications.
    work.notify_one();
    if let Some(ready) = ready.take() {
        let _ = ready.send(());
    }
    while notes.recv().await.is_some() {
        work.notify_one();
    }
    // The driver ended, so the connection is gone.
    drop(client);
    driver.await.unwrap_or(Ok(()))
}
