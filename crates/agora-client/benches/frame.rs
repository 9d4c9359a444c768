//! CPU time per frame of the plaza with rendering disabled, beside an empty Bevy app with the
//! same plugins, and beside the plaza with a citizen at the transport window typing into its
//! panel, measured in the same run; then the plaza with 50 dashboard feeds updating once a
//! second beside the plaza without dashboard feeds, frames paced at 60 Hz so that the feeds
//! update as often per frame as they would on a display; then the plaza with its sounds and
//! bursts of cues playing (Bevy's audio, and a device's mixing on its own thread) beside the
//! silent plaza. Prints numbers; asserts nothing about speed.
//!
//! Run with `cargo xtask bench` (or `cargo bench -p agora-client --bench frame`).

use std::time::{Duration, Instant};

use agora_client::PlazaPlugin;
use agora_client::lang::Lang;
use agora_client::scene::layout::PlazaLayout;
use bevy::prelude::*;
use bevy_egui::egui;
use cpu_time::ProcessTime;

const WARM_UP: usize = 60;
const FRAMES: usize = 600;

/// DefaultPlugins with no window and no GPU: everything the client runs on the CPU.
fn headless_app(plaza: Option<PlazaLayout>) -> App {
    app_on(agora_client::headless_plugins(), plaza)
}

fn app_on(plugins: bevy::app::PluginGroupBuilder, plaza: Option<PlazaLayout>) -> App {
    let mut app = App::new();
    app.add_plugins(plugins);
    if let Some(layout) = plaza {
        app.add_plugins(PlazaPlugin {
            layout,
            lang: Lang::En,
            screenshot: None,
            home: std::env::temp_dir().join(format!("agora-bench-{}", std::process::id())),
            catalog: agora_services::Catalog::embedded().expect("the built-in catalog"),
            catalog_source: agora_gateway::CatalogSource::Demo,
            ledger: agora_client::commands::gateway::LedgerSpec::Local,
            kiosk: None,
            xr: None,
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

/// Stands the citizen at the transport window's counter, so that its panel opens, and gives
/// the keyboard to the form's first text box (Tab moves egui's focus, as a citizen's Tab would).
fn stand_at_the_transport_window(app: &mut App) {
    use agora_client::citizen::{Citizen, ControlsEnabled};
    use agora_client::panel::{PanelContext, Panels};
    use agora_client::scene::ServiceWindow;
    app.update();
    let world = app.world_mut();
    world.insert_resource(ControlsEnabled(false));
    let booth = world
        .query::<(&ServiceWindow, &GlobalTransform)>()
        .iter(world)
        .find(|(w, _)| w.service == "parking-permit")
        .map(|(_, t)| t.compute_transform())
        .expect("the plaza has a transport window");
    let spot = booth.transform_point(Vec3::new(0.0, 1.65, -2.3));
    for mut eyes in world
        .query_filtered::<&mut Transform, With<Citizen>>()
        .iter_mut(world)
    {
        *eyes = Transform::from_translation(spot)
            .looking_at(booth.translation + Vec3::Y * 1.7, Vec3::Y);
    }
    for _ in 0..5 {
        app.update();
    }
    assert!(
        app.world().resource::<Panels>().open.is_some(),
        "the panel opens at the counter"
    );
    let context = app
        .world_mut()
        .query_filtered::<Entity, With<PanelContext>>()
        .single(app.world())
        .expect("one panel context");
    for _ in 0..30 {
        if app.world().resource::<agora_client::citizen::Typing>().0 {
            return;
        }
        send(app, context, tab());
        app.update();
    }
    panic!("Tab never reached a text box on the panel");
}

fn tab() -> egui::Event {
    egui::Event::Key {
        key: egui::Key::Tab,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::default(),
    }
}

fn send(app: &mut App, context: Entity, event: egui::Event) {
    app.world_mut()
        .write_message(bevy_egui::input::EguiInputEvent { context, event });
}

/// Like [`measure`], with the citizen typing one character a frame into the panel instead of
/// walking (and clearing the box every 40, so it never fills).
fn measure_typing(app: &mut App) -> (Duration, Duration, Duration) {
    use agora_client::panel::PanelContext;
    let context = app
        .world_mut()
        .query_filtered::<Entity, With<PanelContext>>()
        .single(app.world())
        .expect("one panel context");
    let mut typed = 0usize;
    let mut type_one = |app: &mut App| {
        typed += 1;
        if typed.is_multiple_of(40) {
            send(
                app,
                context,
                egui::Event::Key {
                    key: egui::Key::A,
                    physical_key: None,
                    pressed: true,
                    repeat: false,
                    modifiers: egui::Modifiers::COMMAND,
                },
            );
        }
        send(app, context, egui::Event::Text("a".to_owned()));
        app.update();
    };
    for _ in 0..WARM_UP {
        type_one(app);
    }
    let mut frames = Vec::with_capacity(FRAMES);
    let cpu = ProcessTime::now();
    for _ in 0..FRAMES {
        let start = Instant::now();
        type_one(app);
        frames.push(start.elapsed());
    }
    let cpu_per_frame = cpu.elapsed() / FRAMES as u32;
    frames.sort();
    (frames[FRAMES / 2], frames[FRAMES * 95 / 100], cpu_per_frame)
}

/// The plaza with its dashboards' charts removed: stands, but no feeds.
fn without_feeds(mut layout: PlazaLayout) -> PlazaLayout {
    for dashboard in &mut layout.dashboards {
        dashboard.charts.clear();
    }
    layout
}

/// The plaza with `feeds` charts (three to a stand, in rows south of the plaza), each fed by
/// the simulated city once a second.
fn with_feeds(mut layout: PlazaLayout, feeds: usize) -> PlazaLayout {
    use agora_client::scene::layout::{
        Bilingual, ChartKind, ChartSpec, DashboardSpec, GroundPoint,
    };
    use agora_feeds::{Metric, Source};
    let kinds = [ChartKind::Line, ChartKind::Bars, ChartKind::Gauge];
    let stands = feeds.div_ceil(3);
    layout.dashboards = (0..stands)
        .map(|d| DashboardSpec {
            id: format!("bench-{d}"),
            position: GroundPoint {
                x: -40.0 + 5.0 * (d % 17) as f32,
                z: 30.0 + 4.0 * (d / 17) as f32,
            },
            facing: 0.0,
            title: Bilingual {
                en: format!("Feeds {d}"),
                zh_cn: format!("数据 {d}"),
            },
            charts: (0..3.min(feeds - 3 * d))
                .map(|c| ChartSpec {
                    label: Bilingual {
                        en: format!("Feed {}", 3 * d + c),
                        zh_cn: format!("数据 {}", 3 * d + c),
                    },
                    kind: kinds[c],
                    unit: None,
                    range: (kinds[c] == ChartKind::Gauge).then_some((0.0, 300.0)),
                    source: Source::Simulated {
                        metric: Metric::ALL[(3 * d + c) % Metric::ALL.len()],
                        every: 1,
                    },
                })
                .collect(),
        })
        .collect();
    layout
}

/// Like [`measure`], for `frames` frames paced at 60 Hz (the wait between frames is not counted
/// in the frame's time, but anything the process does meanwhile is counted in its CPU time).
fn measure_paced(app: &mut App, frames: usize) -> (Duration, Duration, Duration) {
    let tick = Duration::from_secs_f64(1.0 / 60.0);
    let mut times = Vec::with_capacity(frames);
    let cpu = ProcessTime::now();
    let mut next = Instant::now();
    for _ in 0..frames {
        let start = Instant::now();
        app.update();
        times.push(start.elapsed());
        next += tick;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    let cpu_per_frame = cpu.elapsed() / frames as u32;
    times.sort();
    (times[frames / 2], times[frames * 95 / 100], cpu_per_frame)
}

fn dashboards(layout: &PlazaLayout) {
    const PACED: usize = 300;
    const FEEDS: usize = 50;
    let mut bare = headless_app(Some(without_feeds(layout.clone())));
    let mut fed = headless_app(Some(with_feeds(layout.clone(), FEEDS)));
    for _ in 0..WARM_UP {
        bare.update();
        fed.update();
    }
    let mut results = Vec::new();
    for round in 0..3 {
        let b = measure_paced(&mut bare, PACED);
        let f = measure_paced(&mut fed, PACED);
        eprintln!("round {round}: no feeds {:?}, {FEEDS} feeds {:?}", b.0, f.0);
        results.push((b, f));
    }
    results.sort_by_key(|(_, f)| f.2);
    let ((b_median, b_p95, b_cpu), (f_median, f_p95, f_cpu)) = results[1];
    println!(
        "dashboards, rendering disabled, {PACED} frames at 60 Hz per round, middle of 3 rounds:"
    );
    println!(
        "  plaza, no dashboard feeds: median {:>8.1} µs  p95 {:>8.1} µs  cpu/frame {:>8.1} µs",
        micros(b_median),
        micros(b_p95),
        micros(b_cpu)
    );
    println!(
        "  plaza, {FEEDS} feeds at 1 Hz:  median {:>8.1} µs  p95 {:>8.1} µs  cpu/frame {:>8.1} µs",
        micros(f_median),
        micros(f_p95),
        micros(f_cpu)
    );
    println!(
        "  {FEEDS} feeds / none: {:.2}× median wall time, {:.2}× CPU time ({:+.1} µs CPU per frame)",
        f_median.as_secs_f64() / b_median.as_secs_f64(),
        f_cpu.as_secs_f64() / b_cpu.as_secs_f64(),
        micros(f_cpu) - micros(b_cpu)
    );
}

fn main() {
    let layout = PlazaLayout::embedded().expect("the embedded plaza is valid");
    dashboards(&layout);
    // Interleave the apps, so that all see the same machine noise.
    let mut empty = headless_app(None);
    let mut plaza = headless_app(Some(layout.clone()));
    let layout_for_sound = layout.clone();
    let mut typing = headless_app(Some(layout));
    stand_at_the_transport_window(&mut typing);
    let mut results = Vec::new();
    for round in 0..3 {
        let e = measure(&mut empty);
        let p = measure(&mut plaza);
        let t = measure_typing(&mut typing);
        eprintln!(
            "round {round}: empty {:?}, plaza {:?}, typing at a panel {:?}",
            e.0, p.0, t.0
        );
        results.push((e, p, t));
    }
    results.sort_by_key(|(_, p, _)| p.0);
    let ((e_median, e_p95, e_cpu), (p_median, p_p95, p_cpu), (t_median, t_p95, t_cpu)) = results[1];
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
        "  panel open, typing:       median {:>8.1} µs  p95 {:>8.1} µs  cpu/frame {:>8.1} µs",
        micros(t_median),
        micros(t_p95),
        micros(t_cpu)
    );
    println!(
        "  plaza / empty: {:.2}× median wall time, {:.2}× CPU time",
        p_median.as_secs_f64() / e_median.as_secs_f64(),
        p_cpu.as_secs_f64() / e_cpu.as_secs_f64()
    );
    println!(
        "  typing at a panel / plaza: {:.2}× median wall time, {:.2}× CPU time",
        t_median.as_secs_f64() / p_median.as_secs_f64(),
        t_cpu.as_secs_f64() / p_cpu.as_secs_f64()
    );
    sound(&layout_for_sound);
}

/// What a sound device would do while the plaza plays: pull the mix of every sound of the plaza
/// (and a burst of five cues every half second) from rodio's mixer in 10 ms blocks, in real
/// time, on its own thread, as cpal's callback does. Returns the thread's CPU time per second
/// of sound when `stop` is set.
fn play_like_a_device(
    layout: &PlazaLayout,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<Duration> {
    use agora_client::sound::{Cue, Kind, Sound, SoundSettings, ambience, mix, synth};
    let placed = ambience(layout);
    let spawn = layout.spawn.position;
    synth::prepare();
    std::thread::spawn(move || {
        let settings = SoundSettings::default();
        let (mixer, mut out) = mix::mixer();
        mix::add(&mixer, &placed, settings.level(Kind::Ambience), move |_| {
            Transform::from_xyz(spawn.x, 1.65, spawn.z)
        });
        let block = synth::RATE.get() as usize / 100;
        let cpu = cpu_time::ThreadTime::now();
        let start = Instant::now();
        let mut blocks = 0u32;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            if blocks.is_multiple_of(50) {
                for cue in [Cue::Press, Cue::Key, Cue::Queued, Cue::Approved, Cue::Hover] {
                    mixer.add(synth::source(Sound::Cue(cue), 0));
                }
            }
            for _ in 0..block * 2 {
                std::hint::black_box(out.next());
            }
            blocks += 1;
            let due = start + Duration::from_millis(10) * blocks;
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        let seconds = blocks as f64 / 100.0;
        cpu.elapsed().div_f64(seconds.max(0.01))
    })
}

/// The plaza with Bevy's audio and a device's work beside it, against the silent plaza,
/// interleaved round by round.
fn sound(layout: &PlazaLayout) {
    use agora_client::sound::Cue;
    let mut silent = headless_app(Some(layout.clone()));
    let mut heard = app_on(
        agora_client::headless_plugins().enable::<bevy::audio::AudioPlugin>(),
        Some(layout.clone()),
    );
    let mut results = Vec::new();
    let mut device_cpu = Vec::new();
    for _ in 0..3 {
        let s = measure(&mut silent);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let device = play_like_a_device(layout, stop.clone());
        for cue in [Cue::Press, Cue::Queued, Cue::Approved] {
            heard.world_mut().write_message(cue);
        }
        let h = measure(&mut heard);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        device_cpu.push(device.join().expect("the device's thread"));
        results.push((s, h));
    }
    results.sort_by_key(|(s, _)| s.0);
    device_cpu.sort();
    let ((s_median, s_p95, s_cpu), (h_median, h_p95, h_cpu)) = results[1];
    println!("sound: the plaza silent, and with its sounds and cues playing, middle of 3 rounds:");
    println!(
        "  silent:                   median {:>8.1} µs  p95 {:>8.1} µs  cpu/frame {:>8.1} µs",
        micros(s_median),
        micros(s_p95),
        micros(s_cpu)
    );
    println!(
        "  ambience and cues:        median {:>8.1} µs  p95 {:>8.1} µs  cpu/frame {:>8.1} µs",
        micros(h_median),
        micros(h_p95),
        micros(h_cpu)
    );
    println!(
        "  sound / silent: {:.3}× median frame time (goal ≤ 1.05×), {:.3}× CPU time",
        h_median.as_secs_f64() / s_median.as_secs_f64(),
        h_cpu.as_secs_f64() / s_cpu.as_secs_f64()
    );
    println!(
        "  mixing {} sounds of the plaza and bursts of cues: {:.1} ms CPU per second of sound ({:.1} % of one core)",
        agora_client::sound::ambience(layout).len(),
        device_cpu[1].as_secs_f64() * 1e3,
        device_cpu[1].as_secs_f64() * 100.0
    );
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
