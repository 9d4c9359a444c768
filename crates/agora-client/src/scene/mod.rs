//! The plaza layout in the world: one entity per service window, dashboard and landmark, placed
//! where the layout file says, each with the footprint that citizens cannot walk through.
//!
//! This plugin spawns only what the plaza *is*; how it looks is added by [`crate::booths`] and
//! [`crate::scenery`], so it runs headless in tests with `MinimalPlugins`.

pub mod footprint;
pub mod layout;

use bevy::prelude::*;

use self::footprint::Footprint;
use self::layout::{BOOTH_FOOTPRINT, DASHBOARD_FOOTPRINT, GroundPoint, PlazaLayout};

/// The layout this plaza was built from.
#[derive(Resource, Debug, Clone, Deref)]
pub struct Plaza(pub PlazaLayout);

/// A booth where citizens apply for one service.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct ServiceWindow {
    /// The service's id in the catalog.
    pub service: String,
    /// Its index in the layout's `windows`.
    pub index: usize,
}

/// A stand that shows a live dashboard.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct DashboardStand {
    /// The dashboard's id.
    pub id: String,
    /// Its index in the layout's `dashboards`.
    pub index: usize,
}

/// The plaza's fountain.
#[derive(Component, Debug, Clone, Copy)]
pub struct FountainBasin {
    /// Outer radius, in metres.
    pub radius: f32,
}

/// Ground area that citizens cannot enter, in world coordinates.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct Obstacle(pub Footprint);

/// Adds this feature to the app.
pub fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn_plaza);
}

/// The rotation for a compass heading: 0° faces north (−z), 90° east (+x).
///
/// Models are built facing Bevy's forward (−z), so a booth with this rotation has its front
/// towards `facing_degrees`.
pub fn compass_rotation(facing_degrees: f32) -> Quat {
    Quat::from_rotation_y(-facing_degrees.to_radians())
}

/// The world position of a point on the ground.
pub fn ground(point: GroundPoint) -> Vec3 {
    Vec3::new(point.x, 0.0, point.z)
}

fn spawn_plaza(mut commands: Commands, plaza: Res<Plaza>) {
    for (index, window) in plaza.windows.iter().enumerate() {
        let rotation = compass_rotation(window.facing);
        commands.spawn((
            Name::new(format!("Window {}", window.service)),
            ServiceWindow {
                service: window.service.clone(),
                index,
            },
            Transform::from_translation(ground(window.position)).with_rotation(rotation),
            Visibility::default(),
            Obstacle(Footprint::rect(window.position, BOOTH_FOOTPRINT, rotation)),
        ));
    }
    for (index, dashboard) in plaza.dashboards.iter().enumerate() {
        let rotation = compass_rotation(dashboard.facing);
        commands.spawn((
            Name::new(format!("Dashboard {}", dashboard.id)),
            DashboardStand {
                id: dashboard.id.clone(),
                index,
            },
            Transform::from_translation(ground(dashboard.position)).with_rotation(rotation),
            Visibility::default(),
            Obstacle(Footprint::rect(
                dashboard.position,
                DASHBOARD_FOOTPRINT,
                rotation,
            )),
        ));
    }
    if let Some(fountain) = plaza.fountain {
        commands.spawn((
            Name::new("Fountain"),
            FountainBasin {
                radius: fountain.radius,
            },
            Transform::from_translation(ground(fountain.position)),
            Visibility::default(),
            Obstacle(Footprint::Circle {
                centre: Vec2::new(fountain.position.x, fountain.position.z),
                radius: fountain.radius,
            }),
        ));
    }
}
