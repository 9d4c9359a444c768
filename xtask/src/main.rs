//! `cargo xtask`: the one entry point for running, checking and measuring Agora.
//!
//! ```text
//! cargo xtask demo [ARGS…]         run the plaza on its embedded defaults
//! cargo xtask test                 everything CI checks: fmt, clippy, tests, the scene budget,
//!                                  the rendering check, the XR fallback and the kiosk under cage
//! cargo xtask screenshot [ARGS…]   render a view to target/xtask/ (or --screenshot FILE)
//! cargo xtask bench [--profile P]  signing, frame time and time to the first frame
//! cargo xtask setup                install the Debian packages and the npm tools the project needs
//! cargo xtask contracts            recompile contracts/AgoraRegistry.sol into contracts/build/
//! ```
//!
//! Every command first makes sure the machine has the system packages it needs, installing
//! them when run as root and printing the exact command otherwise; `setup`, `test`, `bench` and
//! `contracts` also install the npm tools pinned in `tools/package-lock.json` (anvil, solc).

mod kiosk;
mod picture;
mod system;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, bail};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask <demo|test|screenshot|bench|setup|contracts> [ARGS…]";

fn run(args: &[String]) -> anyhow::Result<()> {
    let (command, rest) = args.split_first().context(USAGE)?;
    // `cargo xtask demo -- --lang zh-CN` and `cargo xtask demo --lang zh-CN` mean the same.
    let rest = rest.strip_prefix(&["--".to_owned()]).unwrap_or(rest);
    match command.as_str() {
        "setup" => {
            system::ensure_packages(system::ALL)?;
            tools::ensure()
        }
        "contracts" => {
            tools::ensure()?;
            tools::compile(&tools::artifacts())
        }
        "demo" => {
            system::ensure_packages(system::ALL)?;
            let agora = build_workspace(Warnings::Show)?;
            status(Command::new(agora).args(rest).current_dir(root()))
        }
        "test" | "ci" => test(),
        "screenshot" => {
            system::ensure_packages(system::ALL)?;
            let out = screenshot(rest)?;
            println!("xtask: screenshot at {}", out.display());
            Ok(())
        }
        "bench" => {
            system::ensure_packages(system::ALL)?;
            tools::ensure()?;
            bench(rest)
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command {other:?}\n{USAGE}"),
    }
}

/// The workspace root: the parent of xtask's directory, as `cargo run` reports it now. The
/// compile-time path would be wrong when a shared build cache holds an xtask built in another
/// clone (CI keeps its target directory under $HOME), and xtask would then test that clone.
fn root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A `cargo` command in the workspace root, using the same cargo that runs xtask.
fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root());
    command
}

/// Runs a command, echoing it, and fails if it fails.
fn status(command: &mut Command) -> anyhow::Result<()> {
    eprintln!("xtask: running {}", describe(command));
    let status = command
        .status()
        .with_context(|| format!("cannot start {}", describe(command)))?;
    if !status.success() {
        bail!("{} failed ({status})", describe(command));
    }
    Ok(())
}

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Where cargo puts build outputs (honours `CARGO_TARGET_DIR`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root().join(dir)
            }
        })
        .unwrap_or_else(|| root().join("target"))
}

/// The one build every command shares: the whole workspace with all its targets, in the dev
/// profile, as `cargo test --workspace` resolves it, with clippy's lints checked on the
/// workspace's own code as it compiles. Returns the `agora` binary it built.
///
/// `cargo build -p agora-client` would resolve features without the workspace's
/// dev-dependencies and compile Bevy a second time; building what the tests build instead
/// means `cargo xtask demo` and `cargo xtask test`, in either order, compile everything once.
/// And since clippy's driver is the compiler for the workspace's own crates ([`cargo_build`]),
/// the lints need no second pass over the dependencies (`cargo clippy` would check every
/// dependency again, Bevy included, for metadata it cannot share with a build).
///
/// With `warnings` at [`Warnings::Deny`] (CI), any warning in the workspace's own code, from
/// rustc or clippy, fails the build once everything is compiled; with [`Warnings::Show`] they
/// are only shown.
fn build_workspace(warnings: Warnings) -> anyhow::Result<PathBuf> {
    use std::io::BufRead as _;
    let mut build = cargo_build();
    build
        .args(WORKSPACE_BUILD)
        .arg("--message-format=json")
        .stdout(Stdio::piped());
    eprintln!("xtask: running {}", describe(&build));
    let mut child = build
        .spawn()
        .with_context(|| format!("cannot start {}", describe(&build)))?;
    let stdout = child.stdout.take().context("cargo's output")?;
    let mut warned = 0usize;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.context("reading cargo's output")?;
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["reason"] != "compiler-message" {
            continue;
        }
        let diagnostic = &message["message"];
        if let Some(rendered) = diagnostic["rendered"].as_str() {
            eprint!("{rendered}");
        }
        // Path dependencies are the workspace's own; a registry crate's lints are capped.
        let own = message["package_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("path+file:"));
        let located = diagnostic["spans"]
            .as_array()
            .is_some_and(|spans| !spans.is_empty());
        if own && located && diagnostic["level"] == "warning" {
            warned += 1;
        }
    }
    let done = child.wait().context("waiting for cargo")?;
    if !done.success() {
        bail!("{} failed ({done})", describe(&build));
    }
    if warned > 0 && warnings == Warnings::Deny {
        bail!(
            "the workspace's own code has {warned} warning(s) from rustc or clippy (shown \
             above); CI treats them as errors"
        );
    }
    let agora = target_dir().join("debug").join("agora");
    if !agora.is_file() {
        bail!(
            "the workspace build did not leave {} behind",
            agora.display()
        );
    }
    Ok(agora)
}

/// What the shared build does with warnings in the workspace's own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Warnings {
    /// Fail (CI, `cargo xtask test`).
    Deny,
    /// Show them and go on (`demo`, `screenshot`).
    Show,
}

/// `cargo test --workspace --all-targets --no-run --locked`: see [`build_workspace`].
const WORKSPACE_BUILD: &[&str] = &[
    "test",
    "--workspace",
    "--all-targets",
    "--no-run",
    "--locked",
];

/// A cargo command that compiles the workspace's own crates with clippy's driver
/// (`RUSTC_WORKSPACE_WRAPPER`), which compiles exactly as rustc does and checks clippy's lints
/// on the way, at the levels `[workspace.lints]` sets; dependencies are compiled by plain
/// rustc as always. Every command that builds or runs the shared build goes through here, so
/// that none of them finds the others' artifacts stale. Without clippy installed the build is
/// plain rustc's (and `cargo xtask test` refuses to run).
fn cargo_build() -> Command {
    let mut command = cargo();
    command.env_remove("CLIPPY_ARGS");
    match clippy_driver() {
        Some(driver) => command.env("RUSTC_WORKSPACE_WRAPPER", driver),
        None => command.env_remove("RUSTC_WORKSPACE_WRAPPER"),
    };
    command
}

/// Clippy's driver beside the cargo that runs xtask, or on the PATH.
fn clippy_driver() -> Option<PathBuf> {
    let beside = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .map(|cargo| cargo.with_file_name("clippy-driver"))
        .filter(|driver| driver.is_file());
    beside.or_else(|| {
        Command::new("clippy-driver")
            .arg("--version")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|_| PathBuf::from("clippy-driver"))
    })
}

/// How long each stage of a run took, printed at the end (and when a stage fails).
#[derive(Default)]
struct Stages {
    done: Vec<(&'static str, std::time::Duration)>,
}

impl Stages {
    /// Runs one stage and records its time, whether it passed or not.
    fn run<T>(
        &mut self,
        name: &'static str,
        stage: impl FnOnce() -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let started = std::time::Instant::now();
        let result = stage();
        let took = started.elapsed();
        eprintln!(
            "xtask: stage {name} {} after {:.0} s",
            if result.is_ok() { "passed" } else { "failed" },
            took.as_secs_f64()
        );
        self.done.push((name, took));
        if result.is_err() {
            self.print();
        }
        result
    }

    fn print(&self) {
        let total: std::time::Duration = self.done.iter().map(|(_, took)| *took).sum();
        eprintln!("xtask: stage times");
        for (name, took) in &self.done {
            eprintln!("  {name:<22} {:>6.0} s", took.as_secs_f64());
        }
        eprintln!("  {:<22} {:>6.0} s", "total", total.as_secs_f64());
    }
}

/// Everything CI checks, cheapest first so that a formatting slip fails in seconds. The
/// workspace is compiled once, with clippy's lints checked on the way ([`build_workspace`]),
/// for the tests and for the binaries the checks after them run.
fn test() -> anyhow::Result<()> {
    let mut stages = Stages::default();
    stages.run("system packages", || system::ensure_packages(system::ALL))?;
    stages.run("npm tools", tools::ensure)?;
    stages.run("fmt", || status(cargo().args(["fmt", "--all", "--check"])))?;
    stages.run("contract artifacts", tools::check_artifacts)?;
    stages.run("fetch crates", || {
        status(cargo().args(["fetch", "--locked"]))
    })?;
    if clippy_driver().is_none() {
        bail!("clippy is not installed, and CI checks its lints: rustup component add clippy");
    }
    // The fuzz targets live in their own workspace; make sure they still build, so that an API
    // change cannot leave them broken until the next fuzzing run.
    stages.run("fuzz targets build", || {
        status(cargo().args([
            "check",
            "--manifest-path",
            "crates/agora-identity/fuzz/Cargo.toml",
            "--locked",
        ]))
    })?;
    let agora = stages.run("build and clippy", || build_workspace(Warnings::Deny))?;
    stages.run("tests", || {
        status(
            cargo_build()
                .args(["test", "--workspace", "--locked"])
                .env("AGORA_ANVIL", tools::anvil()),
        )
    })?;
    // The scene budget test passed above; show its numbers (the binaries are built already).
    stages.run("scene budget", || {
        status(cargo_build().args([
            "test",
            "--workspace",
            "--tests",
            "--locked",
            "--quiet",
            "--",
            "standalone_headsets_budget",
            "--nocapture",
        ]))
    })?;
    stages.run("rendering check", || rendering_check(&agora))?;
    stages.run("XR fallback check", || xr_fallback_check(&agora))?;
    stages.run("kiosk under cage", || {
        let report = kiosk::check(&agora, &kiosk::kept(&target_dir()))?;
        println!("xtask: kiosk under cage passed: {report}");
        Ok(())
    })?;
    stages.print();
    Ok(())
}

/// Renders the overview under Xvfb and lavapipe with `agora` and checks that it is a real
/// picture of the plaza, not a blank or half-drawn frame.
fn rendering_check(agora: &Path) -> anyhow::Result<()> {
    let folder = target_dir().join("xtask");
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let out = folder.join("overview.png");
    let mut command = with_display(
        agora,
        &[
            "--screenshot".into(),
            out.to_string_lossy().into_owned(),
            "--size".into(),
            "1280x720".into(),
        ],
    );
    eprintln!("xtask: running {}", describe(&command));
    let output = command
        .output()
        .with_context(|| format!("cannot start {}", describe(&command)))?;
    let said = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!(
            "{} failed ({}); it said:\n{said}",
            describe(&command),
            output.status
        );
    }
    // Without a sound card the plaza runs silent and says so once; with one, not at all.
    let silent = "No sound device: the plaza runs silent; captions, when on, still show what would be heard.";
    let times = said.matches(silent).count();
    let cards = std::fs::read_to_string("/proc/asound/cards").unwrap_or_default();
    let no_card = cards.trim().is_empty() || cards.contains("no soundcards");
    if times != usize::from(no_card) {
        bail!(
            "the plaza {} a sound card said \"{silent}\" {times} times (once without one, never \
             with one); it said:\n{said}",
            if no_card { "without" } else { "with" }
        );
    }
    let report = picture::check_plaza_overview(&out)?;
    let sound = if no_card {
        "silent without a sound card, said once"
    } else {
        "with a sound card"
    };
    println!("xtask: rendering check passed: {report}; {sound}");
    Ok(())
}

/// `agora --mode xr` on a machine with the OpenXR loader and no runtime (XR_RUNTIME_JSON names
/// a manifest that does not exist, so a runtime installed here does not count): the plaza must
/// open on the desktop, say why in its one sentence, and draw the plaza.
fn xr_fallback_check(agora: &Path) -> anyhow::Result<()> {
    let folder = target_dir().join("xtask");
    let out = folder.join("xr-fallback.png");
    let _ = std::fs::remove_file(&out);
    let output = with_display(
        agora,
        &[
            "--mode".into(),
            "xr".into(),
            "--screenshot".into(),
            out.to_string_lossy().into_owned(),
            "--size".into(),
            "1280x720".into(),
        ],
    )
    .env("XR_RUNTIME_JSON", folder.join("no-such-runtime.json"))
    .env_remove("AGORA_OPENXR_LOADER")
    .output()
    .context("cannot run agora --mode xr")?;
    let said = String::from_utf8_lossy(&output.stderr);
    let sentence = "No headset runtime (such as SteamVR or Monado) is running, so the plaza opens on the desktop.";
    if !output.status.success() || !said.contains(sentence) {
        bail!(
            "agora --mode xr without a runtime did not fall back to the desktop with its \
             message (exit {}); it said:\n{said}",
            output.status
        );
    }
    let report = picture::check_plaza_overview(&out)?;
    println!("xtask: XR fallback check passed: \"{sentence}\" and {report}");
    Ok(())
}

/// Builds `agora` and runs it with `args` (adding `--screenshot` under target/xtask/ when the
/// caller gave none), under `xvfb-run` when there is no display. Returns the PNG's path.
fn screenshot(args: &[String]) -> anyhow::Result<PathBuf> {
    let agora = build_workspace(Warnings::Show)?;
    let mut args = args.to_vec();
    let out = match args.iter().position(|a| a == "--screenshot") {
        Some(i) => PathBuf::from(args.get(i + 1).context("--screenshot needs a file")?),
        None => {
            let out = target_dir().join("xtask").join("screenshot.png");
            args.extend(["--screenshot".into(), out.to_string_lossy().into_owned()]);
            out
        }
    };
    if let Some(folder) = out.parent() {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
    }
    status(&mut with_display(&agora, &args))?;
    Ok(out)
}

/// A command running `program` with `args`, wrapped in `xvfb-run` when there is no display.
fn with_display(program: &Path, args: &[String]) -> Command {
    let has_display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let mut command = if has_display {
        Command::new(program)
    } else {
        let mut xvfb = Command::new("xvfb-run");
        xvfb.args(["-a", "-s", "-screen 0 1920x1080x24"])
            .arg(program);
        xvfb
    };
    command.args(args).current_dir(root());
    command
}

/// Builds the `agora` binary in `profile` and returns its path.
fn build_agora(profile: &str) -> anyhow::Result<PathBuf> {
    status(cargo().args([
        "build",
        "--package",
        "agora-client",
        "--bin",
        "agora",
        "--profile",
        profile,
    ]))?;
    let folder = if profile == "dev" { "debug" } else { profile };
    Ok(target_dir().join(folder).join("agora"))
}

/// `cargo xtask bench [--profile P]`: signing and verifying beside raw Ed25519, CPU time per
/// frame of the plaza beside an empty app, and the time from launch to the first rendered frame.
fn bench(args: &[String]) -> anyhow::Result<()> {
    let profile = match args {
        [] => "release".to_string(),
        [flag, profile] if flag == "--profile" => profile.clone(),
        _ => bail!("usage: cargo xtask bench [--profile release|dev]"),
    };
    for (package, bench) in [("agora-identity", "envelope"), ("agora-client", "frame")] {
        status(cargo().args([
            "bench",
            "--package",
            package,
            "--bench",
            bench,
            "--profile",
            &profile,
        ]))?;
    }

    let agora = build_agora(&profile)?;
    let out = target_dir().join("xtask").join("bench-first-frame.png");
    let mut first_frames = Vec::new();
    let mut written = Vec::new();
    for _ in 0..5 {
        let output = with_display(
            &agora,
            &[
                "--screenshot".into(),
                out.to_string_lossy().into_owned(),
                "--size".into(),
                "1280x720".into(),
            ],
        )
        .output()
        .context("cannot run agora")?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let (first, done) = parse_timings(&stdout).with_context(|| {
            format!(
                "agora printed no timings:\n{stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
        first_frames.push(first);
        written.push(done);
    }
    println!(
        "launch to first rendered frame ({profile}, 1280x720, {} runs): median {:.2} s \
         (min {:.2}, max {:.2}); to a fully drawn screenshot: median {:.2} s",
        first_frames.len(),
        median(&mut first_frames),
        first_frames.iter().copied().fold(f64::INFINITY, f64::min),
        first_frames.iter().copied().fold(0.0, f64::max),
        median(&mut written),
    );
    Ok(())
}

/// Reads "first frame after X s … written after Y s" from agora's screenshot report.
fn parse_timings(stdout: &str) -> Option<(f64, f64)> {
    let seconds_after = |label: &str| -> Option<f64> {
        let rest = &stdout[stdout.find(label)? + label.len()..];
        rest.split_whitespace().next()?.parse().ok()
    };
    Some((
        seconds_after("first frame after ")?,
        seconds_after("written after ")?,
    ))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timings_are_read_from_the_screenshot_report() {
        let report = "agora: wrote out.png (first frame after 1.25 s, pipelines ready after \
                      9.50 s, written after 10.02 s)\n";
        assert_eq!(parse_timings(report), Some((1.25, 10.02)));
        assert_eq!(parse_timings("nothing"), None);
    }
}
