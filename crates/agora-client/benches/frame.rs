//! CPU time per frame of the plaza with rendering disabled, beside an empty Bevy app with the
//! same plugins, measured in the same run. Prints numbers; asserts nothing about speed.
//!
//! Run with `cargo xtask bench` (or `cargo bench -p agora-client --bench frame`).

use std::time::{Duration, Instant};

use agora_client::PlazaPlugin;
use agora_client::lang::Lang;
use agora_client::scene::layout::PlazaLayout;
use bevy::log::LogPlugin;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::settings::{RenderCreation, WgpuSettings};
use bevy::window::ExitCondition;
use bevy::winit::WinitPlugin;
use cpu_time::ProcessTime;

const WARM_UP: usize = 60;
const FRAMES: usize = 600;

/// DefaultPlugins with no window and no GPU: everything the client runs on the CPU.
fn headless_app(plaza: Option<PlazaLayout>) -> App {
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(RenderPlugin {
                render_creation: RenderCreation::Automatic(Box::new(WgpuSettings {
                    backends: None,
                    ..default()
                })),
                ..default()
            })
            .set(WindowPlugin {
                primary_window: None,
                exit_condition: ExitCondition::DontExit,
                ..default()
            })
            .disable::<WinitPlugin>()
            // Two apps in one process cannot both install the global logger.
            .disable::<LogPlugin>(),
    );
    if let Some(layout) = plaza {
        app.add_plugins(PlazaPlugin {
            layout,
            lang: Lang::En,
            screenshot: None,
            home: std::env::temp_dir().join(format!("agora-bench-{}", std::process::id())),
            catalog: agora_services::Catalog::embedded().expect("the built-in catalog"),
        });
    }
    app.finish();
    app.cleanup();
    app
}

/// Median and 95th percentile of per-frame wall time, and mean CPU time per frame across all
/// threads, while a citizen walks and turns.
fn measure(app: &mut App) -> (Duration, Duration, Duration) {
    let walk = |app: &mut App| {
        let mut keys = app.world_mut().resource_mut::<ButtonInput<KeyCode>>();
        keys.press(KeyCode::KeyW);
        keys.press(KeyCode::KeyQ);
        app.update();
    };
    for _ in 0..WARM_UP {
        walk(app);
    }
    let mut frames = Vec::with_capacity(FRAMES);
    let cpu = ProcessTime::now();
    for _ in 0..FRAMES {
        let start = Instant::now();
        walk(app);
        frames.push(start.elapsed());
    }
    let cpu_per_frame = cpu.elapsed() / FRAMES as u32;
    frames.sort();
    (frames[FRAMES / 2], frames[FRAMES * 95 / 100], cpu_per_frame)
}

fn main() {
    let layout = PlazaLayout::embedded().expect("the embedded plaza is valid");
    // Interleave the two apps, so that both see the same machine noise.
    let mut empty = headless_app(None);
    let mut plaza = headless_app(Some(layout));
    let mut results = Vec::new();
    for round in 0..3 {
        let e = measure(&mut empty);
        let p = measure(&mut plaza);
        eprintln!("round {round}: empty {:?}, plaza {:?}", e.0, p.0);
        results.push((e, p));
    }
    results.sort_by_key(|(_, p)| p.0);
    let ((e_median, e_p95, e_cpu), (p_median, p_p95, p_cpu)) = results[1];
    println!("frame time, rendering disabled, {FRAMES} frames per round, middle of 3 rounds:");
    println!(
        "  empty app (same plugins): median {:>8.1} µs  p95 {:>8.1} µs  cpu/frame {:>8.1} µs",
        micros(e_median),
        micros(e_p95),
        micros(e_cpu)
    );
    println!(
        "  plaza loaded, walking:    median {:>8.1} µs  p95 {:>8.1} µs  cpu/frame {:>8.1} µs",
        micros(p_median),
        micros(p_p95),
        micros(p_cpu)
    );
    println!(
        "  plaza / empty: {:.2}× median wall time, {:.2}× CPU time",
        p_median.as_secs_f64() / e_median.as_secs_f64(),
        p_cpu.as_secs_f64() / e_cpu.as_secs_f64()
    );
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
