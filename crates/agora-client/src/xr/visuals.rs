//! What the citizen sees of their own hands' intent in a headset: a ray from each hand to what
//! it points at (the pointer's dot marks the spot on a panel), the teleport arc — teal where it
//! lands, amber where it may not — with a ring on the ground, and the comfort vignette fixed to
//! the eyes.

use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;

use super::interaction::{Hand, HandState, Rig, Vignette};
use crate::AppSystems;
use crate::citizen::Citizen;
use crate::pointer::{PointerHit, PointerRay};

/// How far a ray reaches when it points at no panel.
const RAY_REACH: f32 = 3.0;
const LANDS: Color = Color::srgb(0.2, 0.85, 0.78);
const BLOCKED: Color = Color::srgb(1.0, 0.62, 0.2);
/// The teleport arc's mesh before it is first aimed: never empty (see [`dress_hands`]).
const ARC_STUB: [Vec3; 2] = [Vec3::ZERO, Vec3::NEG_Z];

#[derive(Component)]
struct RayOf(Entity);

#[derive(Component)]
struct ArcOf(Entity, Handle<Mesh>, Handle<StandardMaterial>);

#[derive(Component)]
struct LandingRing(Entity);

#[derive(Component)]
struct VignetteShade(Handle<StandardMaterial>);

/// Adds this feature to the app.
pub fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (dress_hands, show_rays, show_arcs, show_vignette).in_set(AppSystems::Present),
    );
}

fn dress_hands(
    mut commands: Commands,
    hands: Query<Entity, Added<Hand>>,
    citizens: Query<Entity, With<Citizen>>,
    shades: Query<(), With<VignetteShade>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    for hand in &hands {
        commands.spawn((
            Name::new("Hand ray"),
            RayOf(hand),
            Mesh3d(meshes.add(Cylinder::new(0.0025, 1.0))),
            MeshMaterial3d(materials.add(StandardMaterial {
                base_color: Color::srgba(1.0, 1.0, 1.0, 0.55),
                alpha_mode: AlphaMode::Blend,
                unlit: true,
                ..default()
            })),
            Transform::default(),
            Visibility::Hidden,
        ));
        let material = materials.add(StandardMaterial {
            base_color: LANDS,
            unlit: true,
            cull_mode: None,
            ..default()
        });
        // Bevy 0.19's mesh allocator logs "Use-after-free" for a mesh with no vertices (it
        // skips the allocation but not the copy: bevyengine/bevy#24874, fixed on Bevy's main by
        // #24960, not in 0.19.1), so the arc starts as a short stub, hidden until it is aimed.
        let mesh = meshes.add(ribbon(&ARC_STUB));
        commands.spawn((
            Name::new("Teleport arc"),
            ArcOf(hand, mesh.clone(), material.clone()),
            Mesh3d(mesh),
            MeshMaterial3d(material.clone()),
            Transform::default(),
            Visibility::Hidden,
        ));
        commands.spawn((
            Name::new("Teleport landing"),
            LandingRing(hand),
            Mesh3d(meshes.add(Annulus::new(0.28, 0.34))),
            MeshMaterial3d(material),
            Transform::default(),
            Visibility::Hidden,
        ));
    }
    if !hands.is_empty()
        && shades.is_empty()
        && let Some(eyes) = citizens.iter().next()
    {
        let material = materials.add(StandardMaterial {
            base_color: Color::srgba(0.0, 0.0, 0.0, 0.0),
            alpha_mode: AlphaMode::Blend,
            unlit: true,
            cull_mode: None,
            ..default()
        });
        commands.entity(eyes).with_child((
            Name::new("Comfort vignette"),
            VignetteShade(material.clone()),
            Mesh3d(meshes.add(vignette_mesh())),
            MeshMaterial3d(material),
            // Just beyond the headset's near plane (0.1 m), facing the eyes.
            Transform::from_xyz(0.0, 0.0, -0.12),
            Visibility::Hidden,
        ));
    }
}

fn show_rays(
    hands: Query<(&PointerRay, &PointerHit)>,
    mut rays: Query<(&RayOf, &mut Transform, &mut Visibility)>,
) {
    for (of, mut transform, mut visibility) in &mut rays {
        let Some((ray, hit)) = hands
            .get(of.0)
            .ok()
            .and_then(|(p, h)| p.ray.map(|r| (r, h)))
        else {
            visibility.set_if_neq(Visibility::Hidden);
            continue;
        };
        let length = if hit.surface.is_some() {
            ray.origin.distance(hit.point)
        } else {
            RAY_REACH
        };
        // The unit cylinder stands along y; lay it along the ray, from the hand.
        *transform = Transform::from_translation(ray.origin + *ray.direction * length / 2.0)
            .with_rotation(Quat::from_rotation_arc(Vec3::Y, *ray.direction))
            .with_scale(Vec3::new(1.0, length, 1.0));
        visibility.set_if_neq(Visibility::Visible);
    }
}

fn show_arcs(
    hands: Query<&HandState>,
    mut arcs: Query<(&ArcOf, &mut Visibility), Without<LandingRing>>,
    mut rings: Query<(&LandingRing, &mut Transform, &mut Visibility), Without<ArcOf>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    for (arc_of, mut visibility) in &mut arcs {
        let aiming = hands.get(arc_of.0).ok().and_then(|s| s.aiming.as_ref());
        // An arc of fewer than two points has nothing to draw (and would be an empty mesh).
        let Some(arc) = aiming.filter(|arc| arc.points.len() >= 2) else {
            visibility.set_if_neq(Visibility::Hidden);
            continue;
        };
        let _ = meshes.insert(&arc_of.1, ribbon(&arc.points));
        if let Some(mut material) = materials.get_mut(&arc_of.2) {
            let colour = if arc.landing.is_some() {
                LANDS
            } else {
                BLOCKED
            };
            if material.base_color != colour {
                material.base_color = colour;
            }
        }
        visibility.set_if_neq(Visibility::Visible);
    }
    for (ring, mut transform, mut visibility) in &mut rings {
        let landing = hands
            .get(ring.0)
            .ok()
            .and_then(|s| s.aiming.as_ref())
            .and_then(|a| a.landing);
        match landing {
            Some(at) => {
                *transform = Transform::from_translation(at + Vec3::Y * 0.01)
                    .with_rotation(Quat::from_rotation_x(-std::f32::consts::FRAC_PI_2));
                visibility.set_if_neq(Visibility::Visible);
            }
            None => {
                visibility.set_if_neq(Visibility::Hidden);
            }
        }
    }
}

fn show_vignette(
    vignette: Res<Vignette>,
    rigs: Query<(), With<Rig>>,
    mut shades: Query<(&VignetteShade, &mut Visibility)>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    for (shade, mut visibility) in &mut shades {
        let shown = vignette.strength > 0.01 && !rigs.is_empty();
        visibility.set_if_neq(if shown {
            Visibility::Visible
        } else {
            Visibility::Hidden
        });
        if shown && let Some(mut material) = materials.get_mut(&shade.0) {
            material.base_color = Color::srgba(0.0, 0.0, 0.0, vignette.strength);
        }
    }
}

/// A flat ribbon 4 cm wide along `points`, lying flat (its width horizontal).
fn ribbon(points: &[Vec3]) -> Mesh {
    let mut positions = Vec::with_capacity(points.len() * 2);
    for (i, point) in points.iter().enumerate() {
        let next = points.get(i + 1).or_else(|| points.get(i.wrapping_sub(1)));
        let along = next.map_or(Vec3::Z, |n| (*n - *point).normalize_or_zero());
        let side = along.cross(Vec3::Y).normalize_or(Vec3::X) * 0.02;
        positions.push((*point - side).to_array());
        positions.push((*point + side).to_array());
    }
    let mut indices = Vec::new();
    for i in 0..points.len().saturating_sub(1) as u32 {
        let a = i * 2;
        indices.extend([a, a + 1, a + 2, a + 1, a + 3, a + 2]);
    }
    let normals = vec![[0.0, 1.0, 0.0]; positions.len()];
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::default(),
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
    .with_inserted_indices(Indices::U32(indices))
}

/// A ring around the eyes: clear inside (the central 50° or so), fading to the material's
/// colour at its outer edge, where it covers the rest of the view. Vertex colours carry the
/// fade; the material's alpha sets the overall strength.
fn vignette_mesh() -> Mesh {
    const SEGMENTS: u32 = 48;
    // At 0.12 m, a radius of 0.055 m is about 25° off the line of sight.
    let (inner, outer, edge) = (0.055, 0.09, 0.5);
    let mut positions = Vec::new();
    let mut colours = Vec::new();
    for i in 0..SEGMENTS {
        let angle = i as f32 / SEGMENTS as f32 * std::f32::consts::TAU;
        let (s, c) = angle.sin_cos();
        for (radius, alpha) in [(inner, 0.0), (outer, 1.0), (edge, 1.0)] {
            positions.push([c * radius, s * radius, 0.0]);
            colours.push([1.0, 1.0, 1.0, alpha]);
        }
    }
    let mut indices = Vec::new();
    for i in 0..SEGMENTS {
        let (a, b) = (i * 3, ((i + 1) % SEGMENTS) * 3);
        for ring in 0..2 {
            indices.extend([
                a + ring,
                b + ring,
                a + ring + 1,
                b + ring,
                b + ring + 1,
                a + ring + 1,
            ]);
        }
    }
    let normals = vec![[0.0, 0.0, 1.0]; positions.len()];
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::default(),
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
    .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, colours)
    .with_inserted_indices(Indices::U32(indices))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xr::interaction::Side;

    #[test]
    fn every_mesh_a_hand_brings_has_vertices_so_bevy_uploads_it_without_an_error() {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, AssetPlugin::default()))
            .init_asset::<Mesh>()
            .init_asset::<StandardMaterial>()
            .init_resource::<Vignette>()
            .add_plugins(plugin);
        app.world_mut().spawn((
            Citizen {
                yaw: 0.0,
                pitch: 0.0,
            },
            Transform::default(),
        ));
        for side in [Side::Left, Side::Right] {
            app.world_mut()
                .spawn((Hand::new(side), Transform::default()));
        }
        app.update();
        app.update();
        let meshes = app.world().resource::<Assets<Mesh>>();
        // Per hand a ray, an arc and a landing ring; and one vignette.
        assert_eq!(meshes.len(), 7);
        for (id, mesh) in meshes.iter() {
            assert!(mesh.count_vertices() > 0, "mesh {id:?} has no vertices");
            if let Some(indices) = mesh.indices() {
                assert!(!indices.is_empty(), "mesh {id:?} has no indices");
            }
        }
    }

    #[test]
    fn a_ribbon_along_n_points_has_two_vertices_and_two_triangles_per_step() {
        let points = [Vec3::ZERO, Vec3::NEG_Z, Vec3::new(0.0, -0.5, -2.0)];
        let mesh = ribbon(&points);
        assert_eq!(mesh.count_vertices(), 6);
        assert_eq!(mesh.indices().map(|i| i.len()), Some(12));
        assert!(ribbon(&ARC_STUB).count_vertices() > 0);
    }
}
