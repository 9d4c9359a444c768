//! A local Ethereum node for tests and benchmarks: anvil, from the npm package pinned in
//! `tools/package.json` (`cargo xtask` installs it), on a free loopback port with a pinned
//! hardfork so that gas figures stay put, optionally saving its state to a file so that it can
//! be killed and started again on what it saved.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The hardfork every test and benchmark node runs (EIP-7623's calldata pricing included).
pub const HARDFORK: &str = "prague";

/// The chain id of a test node.
pub const CHAIN_ID: u64 = 31337;

/// How a node is started.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Mine a block every this often instead of one per transaction.
    pub block_time: Option<Duration>,
    /// Load state from this file at start, and save it there every second (and at a clean
    /// exit). A node killed with SIGKILL comes back with what it last saved.
    pub state: Option<PathBuf>,
}

/// A running anvil. Dropping it kills the node.
#[derive(Debug)]
pub struct Anvil {
    program: PathBuf,
    options: Options,
    port: u16,
    child: Option<Child>,
}

/// Where the anvil binary is: `$AGORA_ANVIL` (what `cargo xtask test` sets), else the pinned
/// npm package's binary under the workspace's `tools/node_modules`.
pub fn program() -> io::Result<PathBuf> {
    if let Some(path) = std::env::var_os("AGORA_ANVIL") {
        return Ok(PathBuf::from(path));
    }
    let platform = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "aarch64") => "linux-arm64",
        ("macos", "aarch64") => "darwin-arm64",
        ("macos", _) => "darwin-amd64",
        _ => "linux-amd64",
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tools/node_modules/@foundry-rs")
        .join(format!("anvil-{platform}/bin/anvil"));
    if path.is_file() {
        Ok(path)
    } else {
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "anvil is not installed (looked for {}): run `cargo xtask setup`, which \
                 installs the npm tools pinned in tools/package.json, or set AGORA_ANVIL",
                path.display()
            ),
        ))
    }
}

impl Anvil {
    /// Starts a node on a free loopback port and waits until it answers.
    pub fn start(options: Options) -> io::Result<Self> {
        let mut anvil = Self {
            program: program()?,
            options,
            port: 0,
            child: None,
        };
        anvil.port = free_port()?;
        anvil.spawn()?;
        Ok(anvil)
    }

    /// The node's JSON-RPC address.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the node with SIGKILL: no state is saved on the way out.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the node again on the same port (and state file, if it has one).
    pub fn restart(&mut self) -> io::Result<()> {
        self.kill();
        self.spawn()
    }

    fn spawn(&mut self) -> io::Result<()> {
        let mut command = Command::new(&self.program);
        command
            .args(["--host", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .args(["--hardfork", HARDFORK, "--chain-id"])
            .arg(CHAIN_ID.to_string())
            .args(["--accounts", "1", "--silent"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(every) = self.options.block_time {
            command
                .arg("--block-time")
                .arg(format!("{}", every.as_secs_f64()));
        }
        if let Some(state) = &self.options.state {
            command
                .arg("--state")
                .arg(state)
                .args(["--state-interval", "1"]);
        }
        let mut child = command.spawn().map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("cannot start {}: {error}", self.program.display()),
            )
        })?;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                // Whoever answers must be this node, not another process on the port.
                std::thread::sleep(Duration::from_millis(100));
                if let Some(status) = child.try_wait()? {
                    return Err(io::Error::other(format!(
                        "anvil exited at start ({status}): port {} is taken by another process",
                        self.port
                    )));
                }
                break;
            }
            if let Some(status) = child.try_wait()? {
                return Err(io::Error::other(format!(
                    "anvil exited at start ({status}) on port {}",
                    self.port
                )));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "anvil did not start listening within 60 s",
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child = Some(child);
        Ok(())
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free loopback port, never one handed out before in this process: a node that is killed
/// and restarted keeps its port, and another node started in the meantime (tests run side by
/// side) must not take it while it is free.
fn free_port() -> io::Result<u16> {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Keep the listeners until a new port is found, so the same one is not offered again.
    let mut held = Vec::new();
    for _ in 0..64 {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = listener.local_addr()?.port();
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return Ok(port);
        }
        held.push(listener);
    }
    Err(io::Error::other(
        "no loopback port free that no other node of this process had",
    ))
}
