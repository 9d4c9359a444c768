//! Architecture invariants that a test can hold: only the client crate depends on Bevy, and
//! every member shares the workspace's lints.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// The one crate allowed to depend on Bevy (and crates built on it).
const CLIENT: &str = "agora-client";

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = PathBuf::from(manifest_dir()).join("..");
    // Only this machine's platform: other platforms' crates need not be downloaded, and no
    // Bevy-only-on-Windows dependency could slip past a test that runs on Linux anyway.
    let rustc = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc runs");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc names its host");
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--filter-platform",
            &host,
        ])
        .current_dir(&root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

fn is_bevy(name: &str) -> bool {
    name == "bevy" || name.starts_with("bevy_") || name.starts_with("bevy-")
}

/// Every package a workspace member depends on at build or run time (not dev-only), by name.
fn closures(metadata: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let packages: BTreeMap<&str, &str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().expect("id"),
                p["name"].as_str().expect("name"),
            )
        })
        .collect();
    let nodes: BTreeMap<&str, Vec<&str>> = metadata["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
        .iter()
        .map(|node| {
            let deps = node["deps"]
                .as_array()
                .expect("deps")
                .iter()
                .filter(|dep| {
                    dep["dep_kinds"].as_array().is_some_and(|kinds| {
                        kinds.iter().any(|k| k["kind"].as_str() != Some("dev"))
                    })
                })
                .map(|dep| dep["pkg"].as_str().expect("pkg"))
                .collect();
            (node["id"].as_str().expect("id"), deps)
        })
        .collect();
    metadata["workspace_members"]
        .as_array()
        .expect("workspace members")
        .iter()
        .map(|member| {
            let member = member.as_str().expect("member id");
            let mut seen = BTreeSet::new();
            let mut stack = vec![member];
            while let Some(id) = stack.pop() {
                for dep in nodes.get(id).into_iter().flatten() {
                    if seen.insert(*dep) {
                        stack.push(dep);
                    }
                }
            }
            let names = seen.iter().map(|id| packages[id].to_string()).collect();
            (packages[member].to_string(), names)
        })
        .collect()
}

#[test]
fn only_the_client_depends_on_bevy() {
    let closures = closures(&metadata());
    assert!(
        closures[CLIENT].iter().any(|name| is_bevy(name)),
        "the check is blind: it does not even see Bevy under {CLIENT}"
    );
    for (member, deps) in &closures {
        if member == CLIENT {
            continue;
        }
        let bevy: Vec<_> = deps
            .iter()
            .filter(|name| is_bevy(name) || *name == CLIENT)
            .collect();
        assert!(
            bevy.is_empty(),
            "{member} depends on {bevy:?}; only {CLIENT} may use Bevy (see ARCHITECTURE.md)"
        );
    }
}

#[test]
fn every_member_uses_the_workspace_lints() {
    let metadata = metadata();
    for package in metadata["packages"].as_array().expect("packages") {
        let id = package["id"].as_str().expect("id");
        let is_member = metadata["workspace_members"]
            .as_array()
            .expect("members")
            .iter()
            .any(|m| m.as_str() == Some(id));
        if !is_member {
            continue;
        }
        let manifest = package["manifest_path"].as_str().expect("manifest path");
        let text = std::fs::read_to_string(manifest).expect("manifest readable");
        let lints = text
            .split("\n[")
            .find(|section| section.starts_with("lints]"))
            .unwrap_or_default();
        assert!(
            lints.contains("workspace = true"),
            "{manifest} lacks `[lints] workspace = true`"
        );
    }
}

/// This package's directory, read when the test runs rather than when it was compiled: a build
/// cache shared between clones (CI's target directory under $HOME) may hold a binary compiled
/// in another checkout, whose compile-time path would point there.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR when it runs tests")
}
