//! The npm tools the tests and the contract build need (a local Ethereum node, `anvil`, and the
//! Solidity compiler, `solcjs`), pinned in `tools/package.json` and its lock file and installed
//! into `tools/node_modules`; and the check that the committed contract artifacts are what the
//! pinned compiler makes of the committed source.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::system::{self, Package};
use crate::{root, status, target_dir};

/// Node.js and npm from Debian, for a machine that has neither.
const NODE: &[Package] = &[
    Package {
        name: "nodejs",
        why: "runs the Solidity compiler (solcjs) and installs the npm tools",
    },
    Package {
        name: "npm",
        why: "installs the pinned npm tools (tools/package.json)",
    },
];

fn tools() -> PathBuf {
    root().join("tools")
}

/// The anvil binary the npm package ships for this platform (called directly, not through
/// its Node.js wrapper, so that a test's SIGKILL reaches the node itself).
pub fn anvil() -> PathBuf {
    let platform = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "aarch64") => "linux-arm64",
        ("macos", "aarch64") => "darwin-arm64",
        ("macos", _) => "darwin-amd64",
        ("windows", _) => "win32-amd64",
        _ => "linux-amd64",
    };
    tools()
        .join("node_modules/@foundry-rs")
        .join(format!("anvil-{platform}"))
        .join("bin")
        .join(if cfg!(windows) { "anvil.exe" } else { "anvil" })
}

fn npm_works() -> bool {
    Command::new("npm")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Installs the pinned npm tools unless the installed set is the lock file's already. Install
/// scripts are not run: the anvil package's would download a binary that the platform's own
/// npm package already holds.
pub fn ensure() -> anyhow::Result<()> {
    if !npm_works() {
        system::ensure_packages(NODE)?;
    }
    let lock = tools().join("package-lock.json");
    let lock_text =
        std::fs::read(&lock).with_context(|| format!("cannot read {}", lock.display()))?;
    let stamp = tools().join("node_modules").join(".agora-installed-lock");
    let current = std::fs::read(&stamp).is_ok_and(|text| text == lock_text);
    if !(current && anvil().is_file()) {
        eprintln!(
            "xtask: installing the npm tools pinned in tools/package-lock.json (anvil, solc) \
             into tools/node_modules"
        );
        status(
            Command::new("npm")
                .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
                .current_dir(tools()),
        )?;
        std::fs::write(&stamp, &lock_text)
            .with_context(|| format!("cannot write {}", stamp.display()))?;
    }
    let out = Command::new(anvil())
        .arg("--version")
        .output()
        .with_context(|| format!("cannot run {}", anvil().display()))?;
    if !out.status.success() {
        bail!("{} --version failed ({})", anvil().display(), out.status);
    }
    Ok(())
}

/// Compiles the registry contract into `out` with the pinned compiler.
pub fn compile(out: &Path) -> anyhow::Result<()> {
    status(
        Command::new("node")
            .arg(tools().join("compile.mjs"))
            .arg(out)
            .current_dir(root()),
    )
}

/// Where the committed artifacts live.
pub fn artifacts() -> PathBuf {
    root().join("contracts").join("build")
}

/// Recompiles the contract and fails if any committed artifact differs from what the pinned
/// compiler makes of the committed source.
pub fn check_artifacts() -> anyhow::Result<()> {
    let scratch = target_dir().join("xtask").join("contracts");
    let _ = std::fs::remove_dir_all(&scratch);
    compile(&scratch)?;
    let mut stale = Vec::new();
    for entry in
        std::fs::read_dir(&scratch).with_context(|| format!("cannot read {}", scratch.display()))?
    {
        let made = entry?.path();
        let name = made.file_name().context("an artifact's name")?.to_owned();
        let committed = artifacts().join(&name);
        let same = std::fs::read(&committed).ok() == Some(std::fs::read(&made)?);
        if !same {
            stale.push(name.to_string_lossy().into_owned());
        }
    }
    if !stale.is_empty() {
        bail!(
            "the committed contract artifacts differ from what solc makes of \
             contracts/AgoraRegistry.sol: {}; run `cargo xtask contracts` and commit \
             contracts/build/",
            stale.join(", ")
        );
    }
    eprintln!("xtask: contracts/build/ is what the pinned solc makes of the source");
    Ok(())
}
