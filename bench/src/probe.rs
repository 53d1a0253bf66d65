//! A disk probe for context: how long one durable commit costs on the disk the data dirs
//! live on (append 1 KiB to a file, then `fdatasync`, as a WAL commit does).

use std::io::Write;
use std::time::{Duration, Instant};

use crate::stats::Summary;

/// Latency of append + `fdatasync` in the temp dir: at most `n` rounds or 5 s.
pub fn fsync(n: usize) -> anyhow::Result<Summary> {
    let dir = tempfile::Builder::new()
        .prefix("sluice-bench-fsync-")
        .tempdir()?;
    let mut file = std::fs::File::create(dir.path().join("probe"))?;
    let block = [b'x'; 1024];
    let until = Instant::now() + Duration::from_secs(5);
    let mut samples = Vec::with_capacity(n);
    while samples.len() < n && Instant::now() < until {
        let t = Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        samples.push(t.elapsed().as_nanos() as u64);
    }
    Ok(Summary::of_ns(&mut samples))
}
