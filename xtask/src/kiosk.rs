//! The kiosk under cage, the Wayland compositor a service hall runs it in (the README's
//! systemd unit), on wlroots' headless backend: the attract screen must fill cage's whole
//! output with no title bar, and the receipt a visitor takes away must be a QR code that
//! `agora verify` reads off the screen's picture and verifies. cage refuses to run as root,
//! so as root the check runs it as a system user of its own, from a copy of the binary that
//! user can read.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::picture;
use crate::system::is_root;

/// The system user cage runs as when xtask runs as root.
const USER: &str = "agora-kiosk-check";

/// The output wlroots' headless backend gives cage.
const OUTPUT: (usize, usize) = (1280, 720);

/// How long the picture may take (lavapipe compiles every pipeline first).
const TIMEOUT_S: &str = "400";

/// Runs the check; returns what it measured. The pictures are kept in `keep`.
pub fn check(agora: &Path, keep: &Path) -> anyhow::Result<String> {
    let dir = std::env::temp_dir().join(format!("agora-kiosk-check-{}", std::process::id()));
    let result = run(agora, &dir, keep);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run(agora: &Path, dir: &Path, keep: &Path) -> anyhow::Result<String> {
    let cage = Cage::prepare(agora, dir)?;
    std::fs::create_dir_all(keep).with_context(|| format!("cannot create {}", keep.display()))?;

    let attract = cage.picture("attract.png", &["--view", "attract"])?;
    let mut report = picture::check_kiosk_attract(&attract.shot, OUTPUT.0, OUTPUT.1)?;
    keep_picture(&attract.shot, &keep.join("kiosk-attract.png"))?;

    // A visit's receipt: the parking permit's example, filled, signed with the visit's key,
    // decided by the demo's desk, its QR code on the screen. The example's ledger is a
    // throwaway one; the kiosk says its key, as a city publishes its own.
    let receipt = cage.picture(
        "receipt.png",
        &["--view", "window:parking-permit", "--filled"],
    )?;
    keep_picture(&receipt.shot, &keep.join("kiosk-receipt.png"))?;
    let key = receipt
        .said
        .lines()
        .find_map(|line| line.split("--trust-ledger ").nth(1))
        .map(str::trim)
        .context("the kiosk did not say which ledger its example was recorded on")?;
    let verified = Command::new(agora)
        .arg("verify")
        .args(["--trust-ledger", key])
        .arg(&receipt.shot)
        .env("AGORA_HOME", dir.join("verifier"))
        .output()
        .context("cannot run agora verify")?;
    let told = String::from_utf8_lossy(&verified.stdout).into_owned()
        + &String::from_utf8_lossy(&verified.stderr);
    if !verified.status.success() {
        bail!(
            "the receipt's QR code on the kiosk's screen does not verify ({}):\n{told}",
            verified.status
        );
    }
    let first = told.lines().next().unwrap_or_default();
    report.push_str(&format!(
        "; the receipt's QR code read off the screen: {first}"
    ));
    Ok(report)
}

/// A picture the kiosk took of itself under cage, and what it printed.
struct Shot {
    shot: PathBuf,
    said: String,
}

/// cage, ready to run a copy of the binary as the check's user.
struct Cage {
    dir: PathBuf,
    binary: PathBuf,
    runtime: PathBuf,
    home: PathBuf,
}

impl Cage {
    fn prepare(agora: &Path, dir: &Path) -> anyhow::Result<Self> {
        let _ = std::fs::remove_dir_all(dir);
        let (runtime, home) = (dir.join("run"), dir.join("home"));
        for (folder, mode) in [(dir, 0o755), (&runtime, 0o700), (&home, 0o700)] {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
            set_mode(folder, mode)?;
        }
        let binary = dir.join("agora");
        std::fs::copy(agora, &binary)
            .with_context(|| format!("cannot copy {} for the check", agora.display()))?;
        set_mode(&binary, 0o755)?;
        if is_root() {
            let (uid, gid) = ensure_user()?;
            for folder in [&runtime, &home] {
                std::os::unix::fs::chown(folder, Some(uid), Some(gid))
                    .with_context(|| format!("cannot give {} to {USER}", folder.display()))?;
            }
        }
        Ok(Self {
            dir: dir.to_owned(),
            binary,
            runtime,
            home,
        })
    }

    /// The kiosk in Chinese under cage, `view` given, its picture written as `name`.
    fn picture(&self, name: &str, view: &[&str]) -> anyhow::Result<Shot> {
        let shot = self.home.join(name);
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", USER, "--"]);
            command
        } else {
            Command::new("env")
        };
        command
            .args(["timeout", TIMEOUT_S, "cage", "-d", "--"])
            .arg(&self.binary)
            .args(["--mode", "kiosk", "--lang", "zh-CN"])
            .args(view)
            .arg("--screenshot")
            .arg(&shot)
            .current_dir(&self.dir)
            // The example's throwaway data directory goes where the check's user may write.
            .env("TMPDIR", &self.home)
            .env("HOME", &self.home)
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .env("WLR_BACKENDS", "headless")
            .env("WLR_RENDERER", "pixman")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("XDG_DATA_HOME")
            .env_remove("AGORA_HOME");
        eprintln!(
            "xtask: running the kiosk under cage ({}; headless, as {})",
            view.join(" "),
            who()
        );
        let output = command
            .output()
            .context("cannot run cage (is the cage package installed?)")?;
        if !output.status.success() || !shot.exists() {
            let said = String::from_utf8_lossy(&output.stderr);
            let tail: Vec<&str> = said.lines().rev().take(30).collect();
            bail!(
                "the kiosk under cage wrote no picture of {} (exit {}); the end of what it said:\n{}",
                view.join(" "),
                output.status,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        Ok(Shot {
            shot,
            said: String::from_utf8_lossy(&output.stdout).into_owned(),
        })
    }
}

fn keep_picture(shot: &Path, keep: &Path) -> anyhow::Result<()> {
    std::fs::copy(shot, keep)
        .map(drop)
        .with_context(|| format!("cannot keep {}", keep.display()))
}

fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the permissions of {}", path.display()))
}

fn who() -> String {
    if is_root() {
        USER.to_owned()
    } else {
        id(&["-un"]).unwrap_or_else(|| "this user".to_owned())
    }
}

fn id(args: &[&str]) -> Option<String> {
    let output = Command::new("id").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The check's system user (made on first use, with no home and no login shell): its ids.
fn ensure_user() -> anyhow::Result<(u32, u32)> {
    if id(&["-u", USER]).is_none() {
        let status = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                USER,
            ])
            .status()
            .context("cannot run useradd")?;
        if !status.success() {
            bail!("useradd {USER} failed ({status})");
        }
    }
    let number = |flag: &str| -> anyhow::Result<u32> {
        id(&[flag, USER])
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("no id {flag} for {USER}"))
    };
    Ok((number("-u")?, number("-g")?))
}

/// Where the check keeps its pictures.
pub fn kept(target: &Path) -> PathBuf {
    target.join("xtask")
}
