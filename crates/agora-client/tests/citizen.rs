//! Walking in the plaza, headless: keys move the citizen, and booths, the fountain and the
//! plaza's edge stop them.

use agora_client::citizen::{self, Citizen};
use bevy::prelude::*;

use crate::plaza_app;

/// The shipped plaza with a citizen in it and no window; every update is 1/60 s.
fn plaza_with_citizen() -> App {
    let mut app = plaza_app();
    app.update();
    app
}

/// Holds `keys` for `seconds` and returns where the citizen stands (x, z) and their yaw.
fn hold(app: &mut App, keys: &[KeyCode], seconds: f32) -> (Vec2, f32) {
    for _ in 0..(seconds * 60.0) as usize {
        let mut input = app.world_mut().resource_mut::<ButtonInput<KeyCode>>();
        for key in keys {
            input.press(*key);
        }
        app.update();
    }
    app.world_mut()
        .resource_mut::<ButtonInput<KeyCode>>()
        .release_all();
    app.update();
    let mut citizens = app.world_mut().query::<(&Transform, &Citizen)>();
    let (transform, citizen) = citizens.single(app.world()).expect("one citizen");
    (transform.translation.xz(), citizen.yaw)
}

#[test]
fn the_citizen_arrives_where_the_layout_says() {
    let mut app = plaza_with_citizen();
    let (at, yaw) = hold(&mut app, &[], 0.0);
    assert!(
        (at - Vec2::new(0.0, 16.0)).length() < 1e-4,
        "arrived at {at}"
    );
    assert!(yaw.abs() < 1e-4, "facing {yaw} rad, not north");
}

#[test]
fn walking_north_stops_at_the_fountain() {
    let mut app = plaza_with_citizen();
    // 3 m/s for 8 s would be 24 m: far past the fountain, 16 m ahead, if it were not solid.
    let (at, _) = hold(&mut app, &[KeyCode::KeyW], 8.0);
    // The basin's radius is 3.2 m; a citizen takes 0.35 m.
    assert!(
        (at.y - 3.55).abs() < 0.01 && at.x.abs() < 0.01,
        "stopped at {at}"
    );
}

#[test]
fn walking_backwards_stops_at_the_edge_of_the_plaza() {
    let mut app = plaza_with_citizen();
    let (at, _) = hold(&mut app, &[KeyCode::KeyS, KeyCode::ShiftLeft], 5.0);
    assert!((at.y - (20.0 - 0.35)).abs() < 0.01, "stopped at {at}");
}

#[test]
fn turning_west_and_walking_meets_the_transport_booth() {
    let mut app = plaza_with_citizen();
    // Walk to the booth's row (z = 3) first: north 13 m would hit nothing on the way.
    let (at, _) = hold(&mut app, &[KeyCode::ArrowLeft], 4.0);
    assert!((at.x + 12.0).abs() < 0.05, "strafed to {at}");
    let (at, _) = hold(&mut app, &[KeyCode::KeyW], 13.0 / 3.0);
    assert!((at.y - 3.0).abs() < 0.05, "walked to {at}");
    // Turn left (Q) until facing west, then walk into the booth at x = -17, 2.4 m deep.
    let turn_speed = citizen::WalkSettings::default().turn_speed;
    let (_, yaw) = hold(
        &mut app,
        &[KeyCode::KeyQ],
        std::f32::consts::FRAC_PI_2 / turn_speed,
    );
    assert!(
        (yaw - std::f32::consts::FRAC_PI_2).abs() < 0.05,
        "yaw {yaw}"
    );
    let (at, _) = hold(&mut app, &[KeyCode::KeyW], 5.0);
    assert!(
        (at.x - (-17.0 + 1.2 + 0.35)).abs() < 0.05,
        "stopped at {at}"
    );
}
