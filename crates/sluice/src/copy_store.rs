//! `sluice copy-store`: copies a SQLite database into PostgreSQL (moving an installation to a
//! cluster), with a progress bar per table and a summary. The copy itself is
//! [`sluice_store::copy::sqlite_to_postgres`].

use std::path::PathBuf;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use sluice_store::copy::{self, CopyOptions, CopyProgress};

/// Arguments of `sluice copy-store`.
#[derive(clap::Args)]
pub struct CopyStoreArgs {
    /// The SQLite database to copy, `sqlite:PATH` or `sqlite://PATH` (a server's is
    /// `<data_dir>/sluice.db`). Stop the server first: a file in use is refused.
    #[arg(long, value_name = "sqlite:PATH")]
    from: String,
    /// The PostgreSQL database to copy into, `postgres://…` or `postgresql://…`; it is
    /// migrated first. Defaults to SLUICE_DATABASE_URL, which keeps the password out of
    /// the process list.
    #[arg(
        long,
        value_name = "postgres://URL",
        env = "SLUICE_DATABASE_URL",
        hide_env_values = true
    )]
    to: String,
    /// Copy into a database that already has applications, sources or messages (or resume
    /// an interrupted copy): rows it already has are skipped.
    #[arg(long)]
    into_non_empty: bool,
}

/// Runs the copy; an error (a refusal included) makes the process exit non-zero.
pub fn run(args: &CopyStoreArgs) -> anyhow::Result<()> {
    let from = sqlite_path(&args.from)?;
    anyhow::ensure!(
        args.to.starts_with("postgres://") || args.to.starts_with("postgresql://"),
        "--to must be a postgres:// or postgresql:// URL, not {}",
        redact(&args.to)
    );
    let shown_to = redact(&args.to);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut bar: Option<ProgressBar> = None;
    let style = ProgressStyle::with_template("{prefix:>15} [{bar:30}] {pos}/{len} rows")
        .expect("a valid template")
        .progress_chars("=> ");
    let mut show = |p: CopyProgress| match p {
        CopyProgress::Started { table, rows } => {
            let b = ProgressBar::new(rows).with_style(style.clone());
            b.set_prefix(table);
            bar = Some(b);
        }
        CopyProgress::Rows { done, .. } => {
            if let Some(b) = &bar {
                b.set_position(done);
            }
        }
        CopyProgress::Finished(t) => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            let skipped = match t.skipped() {
                0 => String::new(),
                n => format!(" ({n} skipped: already there)"),
            };
            println!("{:>15}  {} copied{skipped}", t.table, t.inserted);
        }
    };
    let opts = CopyOptions {
        into_non_empty: args.into_non_empty,
    };
    let report = runtime
        .block_on(copy::sqlite_to_postgres(&from, &args.to, opts, &mut show))
        .with_context(|| format!("copying {} into {shown_to}", from.display()))?;
    let skipped = report.read() - report.inserted();
    println!(
        "copied {} rows of {} tables from {} into {shown_to}{}",
        report.inserted(),
        report.tables.len(),
        from.display(),
        match skipped {
            0 => String::new(),
            n => format!(" ({n} rows skipped: already there)"),
        }
    );
    Ok(())
}

/// The file of a `sqlite:PATH` or `sqlite://PATH` argument.
fn sqlite_path(arg: &str) -> anyhow::Result<PathBuf> {
    let path = arg
        .strip_prefix("sqlite://")
        .or_else(|| arg.strip_prefix("sqlite:"))
        .with_context(|| format!("--from must be sqlite:PATH or sqlite://PATH, not {arg}"))?;
    anyhow::ensure!(!path.is_empty(), "--from names no file");
    Ok(PathBuf::from(path))
}

/// The URL with its password (in the user part, or a `password=` parameter) replaced by
/// `***`, for messages.
fn redact(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(start) = url.find("://").map(|i| i + 3) {
        let end = url[start..]
            .find(['/', '?'])
            .map_or(url.len(), |i| start + i);
        if let Some(at) = url[start..end].rfind('@').map(|i| start + i) {
            if let Some(colon) = url[start..at].find(':').map(|i| start + i) {
                out = format!("{}***{}", &url[..=colon], &url[at..]);
            }
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&");
        out = format!("{head}{query}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact("postgres://u:s3cret@db:5432/x?sslmode=require"),
            "postgres://u:***@db:5432/x?sslmode=require"
        );
        assert_eq!(redact("postgres://u@db/x"), "postgres://u@db/x");
        assert_eq!(redact("postgresql://db/x"), "postgresql://db/x");
        assert_eq!(
            redact("postgres://db/x?user=u&password=p&options=a"),
            "postgres://db/x?user=u&password=***&options=a"
        );
        assert_eq!(redact("postgres://u:p:q@h@db/x"), "postgres://u:***@db/x");
    }

    #[test]
    fn sqlite_urls() {
        assert_eq!(
            sqlite_path("sqlite:a/b.db").unwrap(),
            PathBuf::from("a/b.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///a/b.db").unwrap(),
            PathBuf::from("/a/b.db")
        );
        assert!(sqlite_path("a/b.db").is_err());
        assert!(sqlite_path("sqlite:").is_err());
    }
}
