//! Reading a catalog directory: the one place this crate touches the file system, and only to
//! read the directory its caller names.

use std::fs;
use std::io::Read;
use std::path::Path;

use super::{Catalog, MAX_FILE_SIZE, Report};

/// A file's name (as shown in problems) and text.
type Named = (String, String);

/// Every problem in the catalog directory `dir`: its `*.json` service files and its
/// `examples/*.json`, each problem with its file and member. Empty when the catalog is fine.
/// This is `agora services check DIR`.
pub fn check(dir: &Path) -> Report {
    match Catalog::load_dir(dir) {
        Ok(_) => Report::default(),
        Err(report) => report,
    }
}

/// A catalog directory's files, each list sorted by name.
pub(super) struct Files {
    /// `departments/*.json`.
    pub(super) departments: Vec<Named>,
    /// `*.json`.
    pub(super) services: Vec<Named>,
    /// `examples/*.json`.
    pub(super) examples: Vec<Named>,
}

/// The department, service and example files in `dir`, and the problems reading them.
pub(super) fn read(dir: &Path) -> (Files, Report) {
    let mut report = Report::default();
    let services = read_json_files(dir, &mut report);
    if services.is_empty() && report.is_empty() {
        report.add(
            &dir.display().to_string(),
            "(the directory)",
            "has no service files (<service-id>.json)",
        );
    }
    let departments_dir = dir.join("departments");
    let departments = if departments_dir.is_dir() {
        read_json_files(&departments_dir, &mut report)
    } else {
        if !services.is_empty() {
            report.add(
                &departments_dir.display().to_string(),
                "(the directory)",
                "is missing: each department is a file departments/<id>.json with its name and keys",
            );
        }
        Vec::new()
    };
    let examples_dir = dir.join("examples");
    let examples = if examples_dir.is_dir() {
        read_json_files(&examples_dir, &mut report)
    } else {
        Vec::new()
    };
    (
        Files {
            departments,
            services,
            examples,
        },
        report,
    )
}

/// The `*.json` files directly in `dir`.
fn read_json_files(dir: &Path, report: &mut Report) -> Vec<Named> {
    let shown = dir.display().to_string();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            report.add(
                &shown,
                "(the directory)",
                format!("cannot be read: {error}"),
            );
            return Vec::new();
        }
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        match read_limited(&path) {
            Ok(text) => files.push((name, text)),
            Err(message) => report.add(&name, "(the whole file)", message),
        }
    }
    files
}

/// A file's text, refusing one larger than [`MAX_FILE_SIZE`] or not UTF-8.
fn read_limited(path: &Path) -> Result<String, String> {
    let file = fs::File::open(path).map_err(|error| format!("cannot be read: {error}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| format!("cannot be read: {error}"))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(format!("is larger than {MAX_FILE_SIZE} bytes"));
    }
    String::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_owned())
}
