//! One pointer abstraction for every panel: a ray and a button.
//!
//! A [`PointerRay`] is anything that points: in desktop mode the mouse (through the cursor when
//! it is free, through the crosshair while mouse look holds it), a controller's or a tracked
//! hand's ray in XR ([`crate::xr::interaction`]), and later a finger on a kiosk's touch screen. Each frame every ray is cast against the
//! [`PanelSurface`]s; the nearest front-facing hit lands in the pointer's [`PointerHit`], with
//! the texture coordinates the panel turns into its own pointer events. A small dot marks the
//! hit (hover) and shrinks while the button is held (press).
//!
//! Bevy's own picking pointers live in a window's pixels, which neither a locked mouse nor a
//! controller has; rays in world space serve all of them alike.

use bevy::prelude::*;
use bevy::window::{CursorGrabMode, CursorOptions, PrimaryWindow};

use crate::AppSystems;
use crate::citizen::Citizen;

/// Something that points: where its ray goes and whether its button is held.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq)]
pub struct PointerRay {
    /// The ray, or `None` while it points at nothing (the cursor outside the window).
    pub ray: Option<Ray3d>,
    /// Whether the select button (left mouse button, trigger) is held.
    pub pressed: bool,
}

/// Where a pointer meets a panel, updated every frame.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq)]
pub struct PointerHit {
    /// The surface hit, if any.
    pub surface: Option<Entity>,
    /// Texture coordinates on it: (0, 0) top left, (1, 1) bottom right.
    pub uv: Vec2,
    /// The point hit, in the world.
    pub point: Vec3,
    /// Whether the button is held now.
    pub pressed: bool,
}

/// A flat, rectangular panel that pointers act on: a [`Rectangle`] of `size` metres, centred
/// on its transform and facing its local +z.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct PanelSurface {
    /// Width and height in metres.
    pub size: Vec2,
}

/// The desktop pointer: the mouse, on the citizen's eyes.
#[derive(Component, Debug)]
pub struct MousePointer;

/// The dot that shows where a pointer meets a panel.
#[derive(Component, Debug)]
struct PointerDot(Entity);

/// Adds this feature to the app.
pub fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (
            (attach_mouse, aim_mouse, cast_pointers)
                .chain()
                .in_set(AppSystems::RecordInput),
            show_dots.in_set(AppSystems::Present),
        ),
    );
}

/// Where `ray` meets the front of a panel of `size` with `transform`: the distance along the
/// ray and the texture coordinates. The back of a panel is not hit.
pub fn hit_panel(ray: Ray3d, transform: &GlobalTransform, size: Vec2) -> Option<(f32, Vec2)> {
    let normal = transform.back();
    let facing = ray.direction.dot(*normal);
    if facing >= -1e-4 {
        return None;
    }
    let distance = (transform.translation() - ray.origin).dot(*normal) / facing;
    if distance <= 0.0 {
        return None;
    }
    let local = transform
        .affine()
        .inverse()
        .transform_point3(ray.get_point(distance));
    let uv = Vec2::new(local.x / size.x + 0.5, 0.5 - local.y / size.y);
    ((0.0..=1.0).contains(&uv.x) && (0.0..=1.0).contains(&uv.y)).then_some((distance, uv))
}

/// The world point at texture coordinates `uv` of a panel (the inverse of [`hit_panel`]).
pub fn panel_point(transform: &GlobalTransform, size: Vec2, uv: Vec2) -> Vec3 {
    transform.transform_point(Vec3::new((uv.x - 0.5) * size.x, (0.5 - uv.y) * size.y, 0.0))
}

/// Gives the citizen's eyes the mouse pointer.
fn attach_mouse(
    mut commands: Commands,
    citizens: Query<Entity, (With<Citizen>, Without<MousePointer>)>,
) {
    for citizen in &citizens {
        commands.entity(citizen).insert((
            MousePointer,
            PointerRay::default(),
            PointerHit::default(),
        ));
    }
}

pub fn aim_mouse(
    buttons: Res<ButtonInput<MouseButton>>,
    windows: Query<(&Window, &CursorOptions), With<PrimaryWindow>>,
    mut pointers: Query<(&Camera, &GlobalTransform, &mut PointerRay), With<MousePointer>>,
) {
    let Ok((window, cursor)) = windows.single() else {
        return;
    };
    for (camera, eyes, mut pointer) in &mut pointers {
        // In a headset the desktop camera rests, and so does the mouse.
        if !camera.is_active {
            pointer.set_if_neq(PointerRay::default());
            continue;
        }
        let through = if cursor.grab_mode == CursorGrabMode::None {
            window.cursor_position()
        } else {
            // Mouse look: the crosshair in the middle of the view points.
            camera.logical_viewport_size().map(|size| size / 2.0)
        };
        pointer.ray = through.and_then(|at| camera.viewport_to_world(eyes, at).ok());
        pointer.pressed = buttons.pressed(MouseButton::Left);
    }
}

/// Casts every pointer's ray at every panel and keeps the nearest hit.
pub fn cast_pointers(
    surfaces: Query<(
        Entity,
        &GlobalTransform,
        &PanelSurface,
        &InheritedVisibility,
    )>,
    mut pointers: Query<(&PointerRay, &mut PointerHit)>,
) {
    for (pointer, mut hit) in &mut pointers {
        let nearest = pointer.ray.and_then(|ray| {
            surfaces
                .iter()
                .filter(|(_, _, _, visible)| visible.get())
                .filter_map(|(entity, transform, surface, _)| {
                    hit_panel(ray, transform, surface.size)
                        .map(|(distance, uv)| (distance, entity, uv, ray.get_point(distance)))
                })
                .min_by(|a, b| a.0.total_cmp(&b.0))
        });
        let new = match nearest {
            Some((_, surface, uv, point)) => PointerHit {
                surface: Some(surface),
                uv,
                point,
                pressed: pointer.pressed,
            },
            None => PointerHit {
                pressed: pointer.pressed,
                ..default()
            },
        };
        hit.set_if_neq(new);
    }
}

/// A dot where each pointer meets a panel: hover shows it, a press shrinks it.
fn show_dots(
    mut commands: Commands,
    pointers: Query<(Entity, &PointerHit)>,
    mut dots: Query<(Entity, &PointerDot, &mut Transform, &mut Visibility)>,
    surfaces: Query<&GlobalTransform, With<PanelSurface>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    for (pointer, hit) in &pointers {
        let placed = hit.surface.and_then(|s| surfaces.get(s).ok()).map(|panel| {
            // Just in front of the panel, flat on it.
            let scale = if hit.pressed { 0.6 } else { 1.0 };
            Transform::from_translation(hit.point + *panel.back() * 0.004)
                .with_rotation(panel.rotation())
                .with_scale(Vec3::splat(scale))
        });
        match dots.iter_mut().find(|(_, dot, _, _)| dot.0 == pointer) {
            Some((_, _, mut transform, mut visibility)) => {
                if let Some(placed) = placed {
                    *transform = placed;
                    visibility.set_if_neq(Visibility::Visible);
                } else {
                    visibility.set_if_neq(Visibility::Hidden);
                }
            }
            None => {
                commands.spawn((
                    Name::new("Pointer dot"),
                    PointerDot(pointer),
                    Mesh3d(meshes.add(Circle::new(0.009))),
                    MeshMaterial3d(materials.add(StandardMaterial {
                        base_color: Color::srgb(1.0, 0.55, 0.1),
                        unlit: true,
                        ..default()
                    })),
                    placed.unwrap_or_default(),
                    if placed.is_some() {
                        Visibility::Visible
                    } else {
                        Visibility::Hidden
                    },
                ));
            }
        }
    }
    // A dot whose pointer is gone goes too.
    for (entity, dot, _, _) in &dots {
        if pointers.get(dot.0).is_err() {
            commands.entity(entity).despawn();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel_facing_south() -> GlobalTransform {
        // A panel at (0, 1.5, 0) turned to face −z, like a booth's front.
        GlobalTransform::from(
            Transform::from_xyz(0.0, 1.5, 0.0)
                .with_rotation(Quat::from_rotation_y(std::f32::consts::PI)),
        )
    }

    #[test]
    fn a_ray_at_the_centre_hits_the_middle_of_the_texture() {
        let panel = panel_facing_south();
        let ray = Ray3d::new(Vec3::new(0.0, 1.5, -2.0), Dir3::Z);
        let (distance, uv) = hit_panel(ray, &panel, Vec2::new(1.6, 0.9)).expect("a hit");
        assert!((distance - 2.0).abs() < 1e-5);
        assert!(uv.distance(Vec2::splat(0.5)) < 1e-5, "{uv}");
    }

    #[test]
    fn texture_coordinates_run_from_the_viewers_top_left() {
        let panel = panel_facing_south();
        let size = Vec2::new(1.6, 0.9);
        for uv in [
            Vec2::new(0.1, 0.2),
            Vec2::new(0.9, 0.8),
            Vec2::new(0.5, 0.05),
        ] {
            let target = panel_point(&panel, size, uv);
            let eye = Vec3::new(0.3, 1.6, -1.5);
            let ray = Ray3d::new(eye, Dir3::new(target - eye).expect("a direction"));
            let (_, got) = hit_panel(ray, &panel, size).expect("a hit");
            assert!(got.distance(uv) < 1e-4, "{uv} came back as {got}");
        }
        // A viewer south of the panel looking north has world +x on their left, where u is
        // small: one concrete point, so that a mirrored mapping cannot pass.
        let ray = Ray3d::new(Vec3::new(0.7, 1.5, -2.0), Dir3::Z);
        let (_, uv) = hit_panel(ray, &panel, size).expect("a hit");
        assert!(
            uv.x < 0.1,
            "x = +0.7 should be near the viewer's left edge: {uv}"
        );
    }

    #[test]
    fn misses_the_back_the_edges_and_what_is_behind() {
        let panel = panel_facing_south();
        let size = Vec2::new(1.6, 0.9);
        // From behind.
        assert!(
            hit_panel(
                Ray3d::new(Vec3::new(0.0, 1.5, 2.0), Dir3::NEG_Z),
                &panel,
                size
            )
            .is_none()
        );
        // Beside it.
        assert!(hit_panel(Ray3d::new(Vec3::new(0.9, 1.5, -2.0), Dir3::Z), &panel, size).is_none());
        // Pointing away.
        assert!(
            hit_panel(
                Ray3d::new(Vec3::new(0.0, 1.5, -2.0), Dir3::NEG_Z),
                &panel,
                size
            )
            .is_none()
        );
        // Parallel to it.
        assert!(
            hit_panel(
                Ray3d::new(Vec3::new(-3.0, 1.5, -0.0), Dir3::X),
                &panel,
                size
            )
            .is_none()
        );
    }
}
