//! `agora`: opens the plaza, or renders one view of it to a PNG.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use bevy::prelude::*;
use bevy::window::{PresentMode, WindowResolution};
use clap::{Parser, ValueEnum};

use agora_client::PlazaPlugin;
use agora_client::lang::Lang;
use agora_client::scene::layout::PlazaLayout;
use agora_client::screenshot::{LAUNCHED, ScreenshotRequest, View};

/// Agora: walk up to a city's service windows in a virtual plaza.
#[derive(Parser, Debug)]
#[command(name = "agora", version, about)]
struct Cli {
    /// How the citizen enters: `auto` uses a headset when one answers, else the desktop.
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    mode: Mode,
    /// The plaza layout to load (RON); the built-in civic plaza when absent.
    #[arg(long, value_name = "FILE")]
    scene: Option<PathBuf>,
    /// The language the interface speaks: en or zh-CN.
    #[arg(long, default_value = "en", value_parser = parse_lang)]
    lang: Lang,
    /// Render one view to this PNG file and exit.
    #[arg(long, value_name = "OUT.png")]
    screenshot: Option<PathBuf>,
    /// Size of the window or screenshot, in pixels.
    #[arg(long, value_name = "WxH", default_value = "1280x720", value_parser = parse_size)]
    size: UVec2,
    /// What the screenshot shows: overview, window:<service-id> or dashboard:<id>.
    #[arg(
        long,
        value_name = "VIEW",
        default_value = "overview",
        requires = "screenshot"
    )]
    view: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Auto,
    Xr,
    Desktop,
    Kiosk,
}

fn parse_lang(tag: &str) -> Result<Lang, String> {
    Lang::from_tag(tag).ok_or_else(|| format!("unsupported language {tag:?}: use en or zh-CN"))
}

fn parse_size(text: &str) -> Result<UVec2, String> {
    let invalid = || format!("{text:?} is not a size like 1280x720");
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(invalid)?;
    let size = UVec2::new(
        w.trim().parse().map_err(|_| invalid())?,
        h.trim().parse().map_err(|_| invalid())?,
    );
    if !(64..=8192).contains(&size.x) || !(64..=8192).contains(&size.y) {
        return Err(format!(
            "{text:?}: each side must be between 64 and 8192 pixels"
        ));
    }
    Ok(size)
}

fn main() -> ExitCode {
    LAUNCHED.get_or_init(Instant::now);
    let cli = Cli::parse();
    let plaza = match prepare(&cli) {
        Ok(plaza) => plaza,
        Err(error) => {
            eprintln!("agora: {error:#}");
            return ExitCode::from(2);
        }
    };
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!(
            "agora: no display to open the plaza on (neither DISPLAY nor WAYLAND_DISPLAY is set); \
             run it in a desktop session, or under `xvfb-run -a` for screenshots"
        );
        return ExitCode::from(3);
    }
    if let Some(note) = mode_note(cli.mode) {
        eprintln!("agora: {note}");
    }
    let capturing = plaza.screenshot.is_some();
    let mut resolution = WindowResolution::new(cli.size.x, cli.size.y);
    if capturing {
        // A screenshot is exactly the size asked for, whatever the display's scaling.
        resolution = resolution.with_scale_factor_override(1.0);
    }
    let window = Window {
        title: format!("Agora — {}", plaza.layout.name.en),
        resolution,
        resizable: !capturing,
        present_mode: if capturing {
            PresentMode::AutoNoVsync
        } else {
            PresentMode::AutoVsync
        },
        ..default()
    };
    let exit = App::new()
        .add_plugins(DefaultPlugins.set(WindowPlugin {
            primary_window: Some(window),
            ..default()
        }))
        .add_plugins(plaza)
        .run();
    match exit {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}

/// Everything that can be checked before a window opens; a problem here is exit status 2.
fn prepare(cli: &Cli) -> anyhow::Result<PlazaPlugin> {
    let layout = match &cli.scene {
        Some(path) => PlazaLayout::load(path)?,
        None => PlazaLayout::embedded().context("the built-in plaza layout is broken")?,
    };
    let screenshot = match &cli.screenshot {
        None => None,
        Some(path) => {
            if path.extension().and_then(|e| e.to_str()) != Some("png") {
                bail!("the screenshot file {} must end in .png", path.display());
            }
            let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
            if let Some(folder) = folder
                && !folder.is_dir()
            {
                bail!(
                    "cannot write {}: the folder {} does not exist",
                    path.display(),
                    folder.display()
                );
            }
            let view = View::parse(&cli.view, &layout).map_err(anyhow::Error::msg)?;
            Some(ScreenshotRequest {
                path: path.clone(),
                view,
            })
        }
    };
    Ok(PlazaPlugin {
        layout,
        lang: cli.lang,
        screenshot,
    })
}

/// What to tell the citizen about the mode they asked for, when it is not what they get.
fn mode_note(mode: Mode) -> Option<&'static str> {
    match mode {
        Mode::Auto | Mode::Desktop => None,
        Mode::Xr => Some("this build has no headset support yet; continuing in desktop mode"),
        Mode::Kiosk => Some("kiosk mode is not available yet; continuing in desktop mode"),
    }
}
