//! The Debian packages Agora needs, and installing the ones a machine lacks.

use std::process::Command;

use anyhow::{Context, bail};

/// A package and why the project needs it.
pub struct Package {
    pub name: &'static str,
    pub why: &'static str,
}

/// Everything needed to build, render (also without a GPU), play sound and reach OpenXR.
pub const ALL: &[Package] = &[
    Package {
        name: "pkg-config",
        why: "lets -sys crates find system libraries",
    },
    Package {
        name: "libasound2-dev",
        why: "ALSA, for sound (bevy_audio via cpal)",
    },
    Package {
        name: "libxkbcommon-dev",
        why: "xkbcommon, for keyboard layouts",
    },
    Package {
        name: "libwayland-dev",
        why: "Wayland windows",
    },
    Package {
        name: "libx11-dev",
        why: "X11 windows",
    },
    Package {
        name: "libxcursor-dev",
        why: "X11 cursors",
    },
    Package {
        name: "libxrandr-dev",
        why: "X11 display modes",
    },
    Package {
        name: "libxi-dev",
        why: "X11 input (mouse look)",
    },
    Package {
        name: "libvulkan1",
        why: "the Vulkan loader that wgpu renders through",
    },
    Package {
        name: "mesa-vulkan-drivers",
        why: "lavapipe, Vulkan on the CPU for machines without a GPU",
    },
    Package {
        name: "xvfb",
        why: "a virtual display for screenshots and the rendering check",
    },
    Package {
        name: "xauth",
        why: "needed by xvfb-run",
    },
    Package {
        name: "cage",
        why: "the kiosk's compositor (a service hall's kiosk runs under it; CI checks it does)",
    },
    Package {
        name: "xwayland",
        why: "cage starts Xwayland and will not run without it (a Recommends, not installed \
              with --no-install-recommends)",
    },
    Package {
        name: "libopenxr-loader1",
        why: "the OpenXR loader, for headsets",
    },
    Package {
        name: "libopenxr-dev",
        why: "OpenXR headers and the unversioned loader library",
    },
];

fn installed(name: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", name])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// Whether xtask runs as root.
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Installs whichever of `packages` are missing (as root), or says how to (otherwise).
pub fn ensure_packages(packages: &[Package]) -> anyhow::Result<()> {
    if Command::new("dpkg-query")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!(
            "xtask: this is not a Debian-like system; make sure the equivalents of these are \
             installed: {}",
            packages
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&Package> = packages.iter().filter(|p| !installed(p.name)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: this machine lacks packages Agora needs:");
    for package in &missing {
        eprintln!("  {:<22} {}", package.name, package.why);
    }
    let names: Vec<&str> = missing.iter().map(|p| p.name).collect();
    if !is_root() {
        bail!(
            "install them with:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends {}",
            names.join(" ")
        );
    }
    eprintln!("xtask: installing them with apt-get");
    let apt = |args: &[&str]| -> anyhow::Result<()> {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("cannot run apt-get")?;
        if !status.success() {
            bail!("apt-get {} failed ({status})", args.join(" "));
        }
        Ok(())
    };
    apt(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&names);
    apt(&install)
}
