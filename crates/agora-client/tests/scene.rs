//! The scene plugin, headless: what the layout file names is spawned where the file says, and
//! bad layout files are refused with the file, the position or field, and the problem.

use std::collections::BTreeMap;

use agora_client::core_plugin;
use agora_client::scene::layout::{LayoutError, PlazaLayout};
use agora_client::scene::{DashboardStand, Obstacle, ServiceWindow};
use bevy::prelude::*;

use crate::{data, shipped_plaza};

fn headless_plaza(layout: PlazaLayout) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, TransformPlugin))
        .add_plugins(core_plugin(layout));
    app.update();
    app
}

/// Ground position and compass heading of each spawned entity with component `C`, by id.
fn placed<C: Component>(app: &mut App, id: impl Fn(&C) -> String) -> BTreeMap<String, (Vec2, f32)> {
    let mut query = app.world_mut().query::<(&C, &GlobalTransform)>();
    query
        .iter(app.world())
        .map(|(thing, transform)| {
            let forward = transform.forward();
            let heading = forward.x.atan2(-forward.z).to_degrees().rem_euclid(360.0);
            (id(thing), (transform.translation().xz(), heading))
        })
        .collect()
}

fn assert_placed(
    spawned: &BTreeMap<String, (Vec2, f32)>,
    expected: impl IntoIterator<Item = (String, (f32, f32), f32)>,
) {
    let expected: Vec<_> = expected.into_iter().collect();
    let mut ids: Vec<&String> = expected.iter().map(|(id, ..)| id).collect();
    ids.sort();
    assert_eq!(spawned.keys().collect::<Vec<_>>(), ids);
    for (id, (x, z), facing) in expected {
        let (at, heading) = spawned[&id];
        assert!(
            (at - Vec2::new(x, z)).length() < 1e-4,
            "{id} stands at {at}, not ({x}, {z})"
        );
        let turn = (heading - facing).rem_euclid(360.0);
        assert!(
            turn.min(360.0 - turn) < 0.01,
            "{id} faces {heading}°, not {facing}°"
        );
    }
}

#[test]
fn the_shipped_plaza_spawns_every_window_and_dashboard_where_the_file_says() {
    let layout = PlazaLayout::load(&shipped_plaza()).expect("the shipped plaza is valid");
    let mut app = headless_plaza(layout.clone());

    let windows = placed::<ServiceWindow>(&mut app, |w| w.service.clone());
    assert_placed(
        &windows,
        layout
            .windows
            .iter()
            .map(|w| (w.service.clone(), (w.position.x, w.position.z), w.facing)),
    );
    let dashboards = placed::<DashboardStand>(&mut app, |d| d.id.clone());
    assert_placed(
        &dashboards,
        layout
            .dashboards
            .iter()
            .map(|d| (d.id.clone(), (d.position.x, d.position.z), d.facing)),
    );

    // The brief's five services, one window each, and at least two dashboards.
    assert_eq!(windows.len(), 5);
    assert!(dashboards.len() >= 2);
    // Every window, every dashboard and the fountain is solid.
    let mut obstacles = app.world_mut().query::<&Obstacle>();
    assert_eq!(
        obstacles.iter(app.world()).count(),
        windows.len() + dashboards.len() + usize::from(layout.fountain.is_some())
    );
}

#[test]
fn another_layout_file_gives_another_plaza() {
    let layout = PlazaLayout::load(&data("scenes/small.ron")).expect("valid test layout");
    let mut app = headless_plaza(layout);
    assert_placed(
        &placed::<ServiceWindow>(&mut app, |w| w.service.clone()),
        [
            ("dog-licence".to_string(), (-6.0, -4.0), 90.0),
            ("library-card".to_string(), (6.5, -3.0), 225.0),
        ],
    );
    assert_placed(
        &placed::<DashboardStand>(&mut app, |d| d.id.clone()),
        [("weather".to_string(), (0.0, -7.5), 180.0)],
    );
}

/// Each bad file, and what its error must say: where, and about which field.
const BAD_LAYOUTS: &[(&str, &[&str])] = &[
    (
        "missing-accent.ron",
        &[
            "missing-accent.ron:19:9:",
            "missing field named `accent` in `window`",
        ],
    ),
    (
        "bad-accent.ron",
        &[
            "bad-accent.ron:18:",
            "field `accent`",
            "\"orange\"",
            "#rrggbb",
        ],
    ),
    (
        "unknown-field.ron",
        &["unknown-field.ron:11:13:", "`colour`", "expected one of"],
    ),
    ("unclosed.ron", &["unclosed.ron:29:", "end of RON"]),
    (
        "wrong-type.ron",
        &["wrong-type.ron:4:25:", "field `half_width`", "float"],
    ),
    (
        "outside.ron",
        &["outside.ron", "windows[1].position", "(x: 30, z: -3)"],
    ),
    (
        "duplicate-service.ron",
        &["windows[1].service", "already has a window at windows[0]"],
    ),
    (
        "overlap.ron",
        &["windows[1].position", "stands on top of windows[0]"],
    ),
    ("bad-id.ron", &["dashboards[0].id", "\"Weather Now\""]),
    (
        "empty-sign.ron",
        &["windows[1].sign.zh_cn", "must not be empty"],
    ),
    (
        "plain-http-feed.ron",
        &[
            "dashboards[0].charts[0].source",
            "plain http://",
            "allow_plain_http",
        ],
    ),
    (
        "gauge-without-range.ron",
        &["dashboards[0].charts[0].range", "a gauge needs a range"],
    ),
    (
        "unknown-metric.ron",
        &["unknown-metric.ron:", "`Rainfall`", "Pm25"],
    ),
    (
        "bad-time-zone.ron",
        &["bad-time-zone.ron:", "\"Mars/Olympus\"", "IANA"],
    ),
];

#[test]
fn bad_layout_files_name_the_file_the_place_and_the_problem() {
    for (file, expected) in BAD_LAYOUTS {
        let error = PlazaLayout::load(&data(&format!("scenes/{file}")))
            .expect_err(&format!("{file} must be refused"));
        let message = error.to_string();
        for fragment in *expected {
            assert!(
                message.contains(fragment),
                "{file}: {message:?} lacks {fragment:?}"
            );
        }
    }
}

#[test]
fn a_missing_layout_file_is_a_read_error() {
    let error = PlazaLayout::load(&data("scenes/no-such-file.ron")).expect_err("missing");
    assert!(matches!(error, LayoutError::Read { .. }), "{error}");
    assert!(error.to_string().contains("no-such-file.ron"));
}
