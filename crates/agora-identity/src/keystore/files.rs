//! Writing and reading the store's small files: atomically (a temporary file in the same
//! directory, flushed, then renamed or linked into place), readable by the owner only (mode
//! 0600 on Unix, in a 0700 directory), and never larger than expected when read back.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::identity::fill_random;

/// Whether an existing file may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// Fail with `AlreadyExists` when the file exists.
    Never,
    /// Replace it.
    Allowed,
}

/// Creates `dir` and its missing parents; those created are private to the owner on Unix.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Makes an existing file or directory private to its owner on Unix (0600, or 0700 for a
/// directory) when it is readable by anyone else: data written by an earlier version, or
/// under a looser umask. Nothing to do when it does not exist.
pub fn make_private(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let metadata = match fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        };
        if metadata.permissions().mode() & 0o077 != 0 {
            let mode = if metadata.is_dir() { 0o700 } else { 0o600 };
            fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
    }
    Ok(())
}

/// Creates the empty file `path` with mode 0600 unless it exists (then makes it private), in
/// a private directory: how a database file is made before SQLite opens it, so that SQLite's
/// own files beside it (`-wal`, `-shm`, `-journal`) take its mode.
pub fn create_private_file(path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        create_private_dir(dir)?;
        make_private(dir)?;
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => make_private(path),
        Err(error) => Err(error),
    }
}

/// A temporary name beside `path`, unique enough that two writers never share one.
fn temporary_path(path: &Path) -> io::Result<PathBuf> {
    let mut random = [0u8; 8];
    fill_random(&mut random).map_err(io::Error::other)?;
    let suffix: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".{suffix}.tmp"));
    Ok(path.with_file_name(name))
}

/// Writes `bytes` to `path` atomically with mode 0600: readers see the old file or the new one,
/// never part of one. With [`Replace::Never`], an existing file is left alone and the error
/// kind is `AlreadyExists`.
pub fn write_private(path: &Path, bytes: &[u8], replace: Replace) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    let temporary = temporary_path(path)?;
    let result = write_new(&temporary, bytes).and_then(|()| match replace {
        Replace::Allowed => fs::rename(&temporary, path),
        // A hard link fails if the target exists, so "create unless present" is one atomic
        // step; the temporary name is removed below either way.
        Replace::Never => fs::hard_link(&temporary, path).or_else(|error| {
            if error.kind() == io::ErrorKind::AlreadyExists {
                Err(error)
            } else if path.exists() {
                // Some file systems have no hard links; fall back to check-then-rename.
                Err(io::Error::from(io::ErrorKind::AlreadyExists))
            } else {
                fs::rename(&temporary, path)
            }
        }),
    });
    // Gone after a rename; left over after a link or a failure.
    let _ = fs::remove_file(&temporary);
    result?;
    sync_dir(path)
}

/// Creates `path` (which must not exist) with mode 0600 and writes `bytes` to disk.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Flushes the directory entry of `path`, so that a rename survives a power cut.
fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
    }
    Ok(())
}

/// Reads at most `limit` bytes of `path`; a longer file is reported as `limit + 1` bytes so
/// the caller can refuse it without reading all of it.
pub fn read_limited(path: &Path, limit: usize) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Removes `path`; a file that is already gone is fine.
pub fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}
