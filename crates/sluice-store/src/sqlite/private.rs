//! Owner-only files and directories. The database holds message payloads (often customer
//! data) beside the sealed secrets, so nobody but the server's user may read it: the data
//! directory is created 0700, the database and lock files 0600, and an existing database
//! file with a looser mode is tightened on open (its -wal and -shm files, which SQLite
//! creates with the database file's mode, follow).

use std::fs::OpenOptions;
use std::io;
use std::path::Path;

/// Open options that create files owner read/write only.
pub(super) fn open_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// Creates `dir` and its missing parents, owner-only. An existing directory keeps its mode:
/// the operator chose it (e.g. a shared parent such as `/var/lib`).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Creates the database file 0600 if missing; takes group and other permissions off an
/// existing one, and off its -wal and -shm files if present.
pub(super) fn restrict_file(path: &Path) -> io::Result<()> {
    open_options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let p = Path::new(&p);
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(file = %p.display(), mode = format!("{:o}", mode & 0o777),
                "database file was readable by others; restricting it to its owner");
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    Ok(())
}
