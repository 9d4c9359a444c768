//! How the plaza looks around what stands on it: paving, streets, the city hall and the blocks
//! that frame the square, trees, lamps and benches, the sky, the sun and the air.
//!
//! Everything is built from Bevy's primitive shapes and textures drawn in [`crate::textures`],
//! sized from the layout's bounds so that a bigger plaza gets a bigger frame. Meshes and
//! materials are shared wherever the same thing repeats, so that the renderer can batch them.

use bevy::light::CascadeShadowConfigBuilder;
use bevy::math::Affine2;
use bevy::mesh::VertexAttributeValues;
use bevy::pbr::{DistanceFog, FogFalloff};
use bevy::prelude::*;
use bevy::render::render_resource::Face;

use crate::scene::Plaza;
use crate::scene::layout::Bounds;
use crate::textures::{BOLD_FONT, Canvas, TextLine, embedded_font, noise};

/// Width of the granite border, where trees, lamps and benches stand, in metres.
const BORDER: f32 = 4.0;
/// Width of the street that runs round the square.
const STREET: f32 = 9.0;
/// Height of the paving above the street.
const PAVING_TOP: f32 = 0.10;

/// The colour of the air at the horizon; the sky dome fades into it and so does the fog.
const HAZE: Color = Color::srgb(0.80, 0.86, 0.92);

/// Adds this feature to the app.
pub fn plugin(app: &mut App) {
    app.insert_resource(ClearColor(HAZE))
        .insert_resource(GlobalAmbientLight {
            color: Color::srgb(0.82, 0.88, 1.0),
            brightness: 700.0,
            ..default()
        })
        .add_systems(
            Startup,
            (spawn_ground, spawn_city, spawn_street_furniture, spawn_sky),
        );
}

/// What every camera in the plaza needs to see it as intended: distance haze that hides where
/// the modelled city ends, and anti-aliasing.
pub fn atmosphere() -> impl Bundle {
    (
        DistanceFog {
            color: HAZE,
            directional_light_color: Color::srgba(1.0, 0.93, 0.8, 0.35),
            directional_light_exponent: 24.0,
            falloff: FogFalloff::Linear {
                start: 70.0,
                end: 320.0,
            },
        },
        Msaa::Sample4,
    )
}

/// An sRGB colour written as `0xrrggbb`.
pub fn colour(hex: u32) -> Color {
    Color::srgb_u8((hex >> 16) as u8, (hex >> 8) as u8, hex as u8)
}

/// A plain, rough material of one colour: stone, paint, wood.
pub fn matte(hex: u32) -> StandardMaterial {
    StandardMaterial {
        base_color: colour(hex),
        perceptual_roughness: 0.85,
        ..default()
    }
}

fn spawn_ground(
    mut commands: Commands,
    plaza: Res<Plaza>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut images: ResMut<Assets<Image>>,
) {
    let Bounds {
        half_width: w,
        half_depth: d,
    } = plaza.bounds;

    // The city floor: pale concrete pavements everywhere the street is not.
    commands.spawn((
        Name::new("Pavements"),
        Mesh3d(meshes.add(Plane3d::default().mesh().size(900.0, 900.0))),
        MeshMaterial3d(materials.add(matte(0xb9b6ae))),
    ));

    // The street round the square, as four strips.
    let asphalt = materials.add(StandardMaterial {
        base_color: colour(0x3d4045),
        perceptual_roughness: 0.95,
        ..default()
    });
    let outer = Vec2::new(w + BORDER + STREET, d + BORDER + STREET);
    for (centre, size) in ring(Vec2::new(w + BORDER, d + BORDER), outer) {
        commands.spawn((
            Name::new("Street"),
            Mesh3d(meshes.add(Cuboid::new(size.x, 0.04, size.y))),
            MeshMaterial3d(asphalt.clone()),
            Transform::from_xyz(centre.x, 0.0, centre.y),
        ));
    }
    // Lane markings down the middle of each strip.
    let marking = materials.add(StandardMaterial {
        base_color: colour(0xe8e4d8),
        perceptual_roughness: 0.7,
        ..default()
    });
    let mid = Vec2::new(w + BORDER + STREET / 2.0, d + BORDER + STREET / 2.0);
    let dash = meshes.add(Cuboid::new(2.0, 0.045, 0.15));
    for side in [-1.0, 1.0] {
        let mut x = -mid.x;
        while x <= mid.x {
            commands.spawn((
                Mesh3d(dash.clone()),
                MeshMaterial3d(marking.clone()),
                Transform::from_xyz(x, 0.0, side * mid.y),
            ));
            x += 5.0;
        }
        let mut z = -mid.y + 5.0;
        while z < mid.y - 2.0 {
            commands.spawn((
                Mesh3d(dash.clone()),
                MeshMaterial3d(marking.clone()),
                Transform::from_xyz(side * mid.x, 0.0, z)
                    .with_rotation(Quat::from_rotation_y(std::f32::consts::FRAC_PI_2)),
            ));
            z += 5.0;
        }
    }

    // The granite border, a step below the paving.
    commands.spawn((
        Name::new("Border"),
        Mesh3d(meshes.add(Cuboid::new(2.0 * (w + BORDER), 0.16, 2.0 * (d + BORDER)))),
        MeshMaterial3d(materials.add(matte(0x7d8087))),
        Transform::from_xyz(0.0, 0.0, 0.0),
    ));

    // The paving itself: limestone slabs in running bond, 8 m to a texture tile.
    let paving = images.add(paving_texture());
    commands.spawn((
        Name::new("Paving"),
        Mesh3d(meshes.add(Cuboid::new(2.0 * w, 0.2, 2.0 * d))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color_texture: Some(paving),
            perceptual_roughness: 0.8,
            uv_transform: Affine2::from_scale(Vec2::new(w / 4.0, d / 4.0)),
            ..default()
        })),
        Transform::from_xyz(0.0, PAVING_TOP - 0.1, 0.0),
    ));
}

/// Four rectangles (centre, size) covering the ring between `inner` and `outer` half-extents.
fn ring(inner: Vec2, outer: Vec2) -> [(Vec2, Vec2); 4] {
    let band = outer - inner;
    [
        (
            Vec2::new(0.0, -(inner.y + band.y / 2.0)),
            Vec2::new(2.0 * outer.x, band.y),
        ),
        (
            Vec2::new(0.0, inner.y + band.y / 2.0),
            Vec2::new(2.0 * outer.x, band.y),
        ),
        (
            Vec2::new(-(inner.x + band.x / 2.0), 0.0),
            Vec2::new(band.x, 2.0 * inner.y),
        ),
        (
            Vec2::new(inner.x + band.x / 2.0, 0.0),
            Vec2::new(band.x, 2.0 * inner.y),
        ),
    ]
}

fn paving_texture() -> Image {
    const SIZE: u32 = 512;
    // 8 m square: slabs of 1 m × 0.5 m, 64 × 32 px, each row offset by half a slab.
    let (slab_w, slab_h) = (64, 32);
    let mut canvas = Canvas::new(SIZE, SIZE, [0, 0, 0, 255]);
    canvas.shade(|x, y, _| {
        let row = y / slab_h;
        let offset = if row % 2 == 1 { slab_w / 2 } else { 0 };
        let column = (x + offset) / slab_w;
        let (u, v) = ((x + offset) % slab_w, y % slab_h);
        if u < 2 || v < 2 {
            return [150, 143, 132, 255];
        }
        // Each slab its own shade of limestone, with a fine grain.
        let slab = noise(column, row, 7);
        let grain = noise(x, y, 3) * 10.0;
        let base = 210.0 + slab * 22.0 + grain;
        [
            base as u8,
            (base - 8.0 - slab * 4.0) as u8,
            (base - 22.0 - slab * 6.0) as u8,
            255,
        ]
    });
    canvas.into_image(true)
}

/// A facade tile: one bay of one storey (3 m × 3.5 m) with its window, in white so that the
/// material's colour tints the wall.
fn facade_texture() -> Image {
    let (width, height) = (96, 112);
    let mut canvas = Canvas::new(width, height, [255, 255, 255, 255]);
    canvas.shade(|x, y, _| {
        let g = 240 + (noise(x, y, 11) * 15.0) as u8;
        [g, g, g, 255]
    });
    // Window opening with a light frame, a glazing bar, and a sill.
    canvas.fill_rect(24, 22, 48, 64, [236, 232, 224, 255]);
    canvas.fill_rect(28, 26, 40, 56, [58, 74, 92, 255]);
    canvas.shade(|x, y, p| {
        // Sky reflected in the upper panes.
        if (28..68).contains(&x) && (26..82).contains(&y) {
            let t = (y - 26) as f32 / 56.0;
            let r = (96.0 - 50.0 * t) as u8;
            let g = (122.0 - 56.0 * t) as u8;
            let b = (150.0 - 58.0 * t) as u8;
            [r, g, b, 255]
        } else {
            p
        }
    });
    canvas.fill_rect(46, 26, 4, 56, [236, 232, 224, 255]);
    canvas.fill_rect(28, 50, 40, 3, [236, 232, 224, 255]);
    canvas.fill_rect(20, 86, 56, 5, [200, 196, 188, 255]);
    // A string course between storeys.
    canvas.fill_rect(0, 0, width as i32, 4, [214, 210, 202, 255]);
    canvas.into_image(true)
}

/// A box building whose walls repeat the facade tile once per bay and storey.
fn building_mesh(size: Vec3) -> Mesh {
    const BAY: f32 = 3.0;
    const STOREY: f32 = 3.5;
    let mut mesh = Cuboid::from_size(size).mesh().build();
    let positions = match mesh.attribute(Mesh::ATTRIBUTE_POSITION) {
        Some(VertexAttributeValues::Float32x3(p)) => p.clone(),
        _ => return mesh,
    };
    let normals = match mesh.attribute(Mesh::ATTRIBUTE_NORMAL) {
        Some(VertexAttributeValues::Float32x3(n)) => n.clone(),
        _ => return mesh,
    };
    let uvs: Vec<[f32; 2]> = positions
        .iter()
        .zip(&normals)
        .map(|(p, n)| {
            // Height from the ground, so storeys line up with the street.
            let v = -(p[1] + size.y / 2.0) / STOREY;
            if n[1].abs() > 0.5 {
                // Roofs sample a plain bit of wall.
                [0.05, 0.01]
            } else if n[0].abs() > 0.5 {
                [p[2] * n[0] / BAY, v]
            } else {
                [-p[0] * n[2] / BAY, v]
            }
        })
        .collect();
    mesh.insert_attribute(Mesh::ATTRIBUTE_UV_0, uvs);
    mesh
}

/// One block of the city around the square.
struct Block {
    /// Centre of its footprint.
    at: Vec2,
    /// Width (x) and depth (z).
    size: Vec2,
    height: f32,
    /// Index into the palette of wall colours.
    colour: usize,
}

fn spawn_city(
    mut commands: Commands,
    plaza: Res<Plaza>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut images: ResMut<Assets<Image>>,
) {
    let Bounds {
        half_width: w,
        half_depth: d,
    } = plaza.bounds;
    let front = Vec2::new(w + BORDER + STREET + 1.5, d + BORDER + STREET + 1.5);
    let facade = images.add(facade_texture());
    let wall = |hex: u32| StandardMaterial {
        base_color: colour(hex),
        base_color_texture: Some(facade.clone()),
        perceptual_roughness: 0.9,
        ..default()
    };

    // Terraces on the east and west sides, and blocks at the corners of the north and south
    // sides; the city hall fills the middle of the north side, and the middle of the south
    // side stays open as the avenue that citizens arrive by.
    let palette = [0xd9b48f, 0xc98a6f, 0xe8dcc4, 0x9fb0bf, 0xb7c4a4, 0xd7c3a0];
    let mut blocks = Vec::new();
    let mut i = 0;
    let mut along =
        |blocks: &mut Vec<Block>, from: f32, to: f32, place: &dyn Fn(f32, f32) -> (Vec2, Vec2)| {
            let mut at = from;
            while at < to - 4.0 {
                let width = (9.0 + noise(i, 1, 5) * 7.0).min(to - at);
                let (centre, size) = place(at + width / 2.0, width - 0.4);
                blocks.push(Block {
                    at: centre,
                    size,
                    height: 10.5 + (noise(i, 2, 5) * 4.0).floor() * 3.5,
                    colour: i as usize % palette.len(),
                });
                at += width;
                i += 1;
            }
        };
    let depth = 14.0;
    for side in [-1.0_f32, 1.0] {
        along(
            &mut blocks,
            -front.y - depth,
            front.y + depth,
            &|z, width| {
                (
                    Vec2::new(side * (front.x + depth / 2.0), z),
                    Vec2::new(depth, width),
                )
            },
        );
        // South corners, either side of the avenue.
        along(&mut blocks, w * 0.45, front.x, &|x, width| {
            (
                Vec2::new(side * x, front.y + depth / 2.0),
                Vec2::new(width, depth),
            )
        });
        // North corners, either side of the city hall.
        along(
            &mut blocks,
            city_hall_width(&plaza) / 2.0 + 1.0,
            front.x,
            &|x, width| {
                (
                    Vec2::new(side * x, -front.y - depth / 2.0),
                    Vec2::new(width, depth),
                )
            },
        );
    }
    let wall_materials: Vec<_> = palette
        .iter()
        .map(|&hex| materials.add(wall(hex)))
        .collect();
    let cornice = materials.add(matte(0x8d8c88));
    // One mesh per wall colour and one for every cornice: the blocks never move, and a
    // standalone headset counts draw calls.
    let mut walls: Vec<Option<Mesh>> = vec![None; palette.len()];
    let mut cornices = None;
    for block in blocks {
        let size = Vec3::new(block.size.x, block.height, block.size.y);
        let centre = Vec3::new(block.at.x, block.height / 2.0, block.at.y);
        append(
            &mut walls[block.colour],
            building_mesh(size).translated_by(centre),
        );
        append(
            &mut cornices,
            Cuboid::new(size.x + 0.5, 0.45, size.z + 0.5)
                .mesh()
                .build()
                .translated_by(centre + Vec3::Y * block.height / 2.0),
        );
    }
    for (mesh, material) in walls.into_iter().zip(wall_materials) {
        if let Some(mesh) = mesh {
            commands.spawn((
                Name::new("Blocks"),
                Mesh3d(meshes.add(mesh)),
                MeshMaterial3d(material),
            ));
        }
    }
    if let Some(mesh) = cornices {
        commands.spawn((
            Name::new("Cornices"),
            Mesh3d(meshes.add(mesh)),
            MeshMaterial3d(cornice),
        ));
    }

    spawn_city_hall(
        &mut commands,
        &mut meshes,
        &mut materials,
        &mut images,
        &plaza,
        // The city hall stands back behind a forecourt.
        front.y + 4.0,
        wall(0xefe7d6),
    );
}

/// Adds `mesh` to the mesh being gathered in `into`.
fn append(into: &mut Option<Mesh>, mesh: Mesh) {
    match into {
        Some(gathered) => gathered
            .merge(&mesh)
            .expect("scenery meshes have the same attributes"),
        None => *into = Some(mesh),
    }
}

fn city_hall_width(plaza: &Plaza) -> f32 {
    (2.0 * plaza.bounds.half_width).min(56.0)
}

fn spawn_city_hall(
    commands: &mut Commands,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
    images: &mut Assets<Image>,
    plaza: &Plaza,
    front: f32,
    wall: StandardMaterial,
) {
    let width = city_hall_width(plaza);
    let (depth, height) = (18.0, 17.5);
    let centre_z = -front - depth / 2.0;
    let stone = materials.add(matte(0xf3ecdf));
    let wall = materials.add(wall);
    commands.spawn((
        Name::new("City hall"),
        Mesh3d(meshes.add(building_mesh(Vec3::new(width, height, depth)))),
        MeshMaterial3d(wall),
        Transform::from_xyz(0.0, height / 2.0, centre_z),
    ));
    // Cornice and attic.
    commands.spawn((
        Mesh3d(meshes.add(Cuboid::new(width + 0.8, 0.8, depth + 0.8))),
        MeshMaterial3d(stone.clone()),
        Transform::from_xyz(0.0, height, centre_z),
    ));

    // The portico: steps, columns, entablature with the building's name, and a pediment.
    let portico_width = 20.0;
    let portico_z = -front + 2.5;
    for step in 0..4 {
        let s = step as f32;
        commands.spawn((
            Mesh3d(meshes.add(Cuboid::new(
                portico_width + 3.0 - s * 0.6,
                0.2,
                6.0 - s * 0.5,
            ))),
            MeshMaterial3d(stone.clone()),
            Transform::from_xyz(0.0, 0.1 + s * 0.2, portico_z - 0.5 + s * 0.25),
        ));
    }
    let column_height = 11.0;
    let column = meshes.add(Cylinder::new(0.55, column_height).mesh().resolution(24));
    let base_y = 0.8;
    for i in 0..8 {
        let x = -portico_width / 2.0 + 1.2 + i as f32 * (portico_width - 2.4) / 7.0;
        commands.spawn((
            Mesh3d(column.clone()),
            MeshMaterial3d(stone.clone()),
            Transform::from_xyz(x, base_y + column_height / 2.0, portico_z + 1.0),
        ));
    }
    let beam_y = base_y + column_height + 0.9;
    commands.spawn((
        Mesh3d(meshes.add(Cuboid::new(portico_width + 1.0, 1.8, 4.5))),
        MeshMaterial3d(stone.clone()),
        Transform::from_xyz(0.0, beam_y, portico_z - 0.6),
    ));
    // The name on the entablature, carved dark into light stone.
    let font = embedded_font(BOLD_FONT);
    let mut sign = Canvas::new(1536, 128, [243, 236, 223, 255]);
    sign.draw_lines(
        &font,
        &[TextLine {
            text: &format!(
                "{}   ·   {}   ·   {}",
                crate::lang::text(crate::lang::Lang::En, "plaza-city-hall"),
                crate::lang::text(crate::lang::Lang::ZhCn, "plaza-city-hall"),
                plaza.name.en.to_uppercase()
            ),
            size: 0.55,
            colour: [74, 70, 64],
        }],
        0,
        128,
    );
    commands.spawn((
        Mesh3d(meshes.add(Rectangle::new(portico_width, 1.6))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color_texture: Some(images.add(sign.into_image(false))),
            perceptual_roughness: 0.9,
            ..default()
        })),
        Transform::from_xyz(0.0, beam_y, portico_z + 1.66),
    ));
    // Pediment: a low triangular prism.
    let pediment = Extrusion::new(
        Triangle2d::new(
            Vec2::new(-(portico_width + 1.0) / 2.0, 0.0),
            Vec2::new((portico_width + 1.0) / 2.0, 0.0),
            Vec2::new(0.0, 3.2),
        ),
        4.5,
    );
    commands.spawn((
        Mesh3d(meshes.add(pediment)),
        MeshMaterial3d(stone.clone()),
        Transform::from_xyz(0.0, beam_y + 0.9, portico_z - 0.6),
    ));

    // A copper dome on a drum, the square's landmark from afar.
    let copper = materials.add(StandardMaterial {
        base_color: colour(0x6fa596),
        metallic: 0.4,
        perceptual_roughness: 0.45,
        ..default()
    });
    let dome_z = centre_z + 1.0;
    commands.spawn((
        Mesh3d(meshes.add(Cylinder::new(6.0, 4.0).mesh().resolution(48))),
        MeshMaterial3d(stone.clone()),
        Transform::from_xyz(0.0, height + 2.0, dome_z),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Sphere::new(5.6).mesh().uv(48, 24))),
        MeshMaterial3d(copper.clone()),
        Transform::from_xyz(0.0, height + 4.0, dome_z).with_scale(Vec3::new(1.0, 0.95, 1.0)),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Cylinder::new(0.7, 2.4).mesh().resolution(16))),
        MeshMaterial3d(copper),
        Transform::from_xyz(0.0, height + 10.3, dome_z),
    ));

    // Flags of the city's departments before the steps.
    let pole = meshes.add(Cylinder::new(0.06, 9.0).mesh().resolution(8));
    let flag = meshes.add(Rectangle::new(2.4, 1.5));
    let metal = materials.add(StandardMaterial {
        base_color: colour(0xc9ccd1),
        metallic: 0.8,
        perceptual_roughness: 0.35,
        ..default()
    });
    for (i, window) in plaza.windows.iter().enumerate() {
        // In the gap of the plaza's north border, framing the view of the city hall.
        let x = (i as f32 - (plaza.windows.len() as f32 - 1.0) / 2.0) * 3.2;
        let z = -(plaza.bounds.half_depth + BORDER / 2.0);
        let [r, g, b] = window.accent.0;
        commands.spawn((
            Mesh3d(pole.clone()),
            MeshMaterial3d(metal.clone()),
            Transform::from_xyz(x, 4.5, z),
        ));
        commands.spawn((
            Mesh3d(flag.clone()),
            MeshMaterial3d(materials.add(StandardMaterial {
                base_color: Color::srgb_u8(r, g, b),
                perceptual_roughness: 0.9,
                double_sided: true,
                cull_mode: None,
                ..default()
            })),
            Transform::from_xyz(x + 1.26, 8.1, z),
        ));
    }
}

/// Where trees, lamps and benches stand along the border, every 6 m: each spot's position, the
/// compass heading of its side of the plaza, and its count along that side (trees stand at the
/// even counts, lamps with a bench at the odd ones).
pub fn border_spots(bounds: Bounds) -> Vec<(Vec2, f32, usize)> {
    let Bounds {
        half_width: w,
        half_depth: d,
    } = bounds;
    let edge = Vec2::new(w + BORDER / 2.0, d + BORDER / 2.0);
    let mut spots: Vec<(Vec2, f32, usize)> = Vec::new();
    let mut x = -edge.x;
    let mut k = 0;
    while x <= edge.x + 0.01 {
        // The middle of the north and south sides stays open: the flags and the view of the
        // city hall to the north, the entrance from the avenue to the south.
        if x.abs() > 8.0 {
            spots.push((Vec2::new(x, -edge.y), 0.0, k));
            spots.push((Vec2::new(x, edge.y), 180.0, k));
        }
        x += 6.0;
        k += 1;
    }
    let mut z = -edge.y + 6.0;
    let mut k = 1;
    while z < edge.y - 0.01 {
        spots.push((Vec2::new(-edge.x, z), 270.0, k));
        spots.push((Vec2::new(edge.x, z), 90.0, k));
        z += 6.0;
        k += 1;
    }
    spots
}

/// Where the trees stand.
pub fn tree_spots(bounds: Bounds) -> Vec<Vec2> {
    border_spots(bounds)
        .into_iter()
        .filter(|(_, _, k)| k % 2 == 0)
        .map(|(at, _, _)| at)
        .collect()
}

/// The middle of the avenue that meets the plaza on its open south side, on the ground.
pub fn avenue(bounds: Bounds) -> Vec2 {
    Vec2::new(0.0, bounds.half_depth + BORDER + STREET / 2.0)
}

fn spawn_street_furniture(
    mut commands: Commands,
    plaza: Res<Plaza>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let trunk = meshes.add(Cylinder::new(0.18, 3.0).mesh().resolution(10));
    let crown = meshes.add(
        Sphere::new(1.0)
            .mesh()
            .ico(2)
            .unwrap_or_else(|_| Sphere::new(1.0).mesh().build()),
    );
    let bark = materials.add(matte(0x6b4f3a));
    let leaves = [0x5f8f3e, 0x4f7f36, 0x6f9a48].map(|hex| {
        materials.add(StandardMaterial {
            base_color: colour(hex),
            perceptual_roughness: 0.95,
            ..default()
        })
    });
    let lamp_post = meshes.add(Cylinder::new(0.08, 4.6).mesh().resolution(10));
    let lamp_head = meshes.add(Sphere::new(0.28).mesh().uv(16, 8));
    let iron = materials.add(StandardMaterial {
        base_color: colour(0x2f3338),
        metallic: 0.6,
        perceptual_roughness: 0.5,
        ..default()
    });
    let glow = materials.add(StandardMaterial {
        base_color: colour(0xfff4dc),
        emissive: LinearRgba::rgb(4.0, 3.4, 2.4),
        ..default()
    });
    let seat = meshes.add(Cuboid::new(1.8, 0.08, 0.5));
    let back = meshes.add(Cuboid::new(1.8, 0.45, 0.06));
    let wood = materials.add(matte(0x9a6a42));

    let spots = border_spots(plaza.bounds);
    for (i, (at, heading, k)) in spots.into_iter().enumerate() {
        if k % 2 == 0 {
            let height = 0.85 + noise(i as u32, 9, 1) * 0.35;
            commands
                .spawn((
                    Name::new("Tree"),
                    Transform::from_xyz(at.x, PAVING_TOP, at.y).with_scale(Vec3::splat(height)),
                    Visibility::default(),
                ))
                .with_children(|tree| {
                    tree.spawn((
                        Mesh3d(trunk.clone()),
                        MeshMaterial3d(bark.clone()),
                        Transform::from_xyz(0.0, 1.5, 0.0),
                    ));
                    for (j, (offset, radius)) in [
                        (Vec3::new(0.0, 4.2, 0.0), 1.9),
                        (Vec3::new(0.7, 3.6, 0.4), 1.4),
                        (Vec3::new(-0.6, 3.7, -0.3), 1.5),
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        tree.spawn((
                            Mesh3d(crown.clone()),
                            MeshMaterial3d(leaves[(i + j) % leaves.len()].clone()),
                            Transform::from_translation(offset).with_scale(Vec3::splat(radius)),
                        ));
                    }
                });
        } else {
            commands.spawn((
                Mesh3d(lamp_post.clone()),
                MeshMaterial3d(iron.clone()),
                Transform::from_xyz(at.x, PAVING_TOP + 2.3, at.y),
            ));
            commands.spawn((
                Mesh3d(lamp_head.clone()),
                MeshMaterial3d(glow.clone()),
                Transform::from_xyz(at.x, PAVING_TOP + 4.7, at.y),
            ));
            // A bench beside every lamp, facing into the square.
            let turn = crate::scene::compass_rotation(heading + 180.0);
            let offset = turn * Vec3::new(1.6, 0.0, 0.0);
            commands
                .spawn((
                    Name::new("Bench"),
                    Transform::from_xyz(at.x + offset.x, PAVING_TOP, at.y + offset.z)
                        .with_rotation(turn),
                    Visibility::default(),
                ))
                .with_children(|bench| {
                    bench.spawn((
                        Mesh3d(seat.clone()),
                        MeshMaterial3d(wood.clone()),
                        Transform::from_xyz(0.0, 0.45, 0.0),
                    ));
                    bench.spawn((
                        Mesh3d(back.clone()),
                        MeshMaterial3d(wood.clone()),
                        Transform::from_xyz(0.0, 0.72, 0.24),
                    ));
                });
        }
    }

    // Sunlight from the south-west in the afternoon, with soft, bounded shadows.
    commands.spawn((
        Name::new("Sun"),
        DirectionalLight {
            illuminance: 9_000.0,
            color: Color::srgb(1.0, 0.96, 0.88),
            shadow_maps_enabled: true,
            ..default()
        },
        Transform::from_xyz(-30.0, 40.0, 35.0).looking_at(Vec3::ZERO, Vec3::Y),
        CascadeShadowConfigBuilder {
            num_cascades: 3,
            first_cascade_far_bound: 20.0,
            maximum_distance: 140.0,
            ..default()
        }
        .build(),
    ));
}

/// A dome over the city whose colour runs from haze at the horizon to blue overhead.
fn spawn_sky(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let radius = 600.0;
    let mut dome = Sphere::new(radius).mesh().uv(48, 24);
    let zenith = LinearRgba::from(Color::srgb(0.30, 0.52, 0.84));
    let horizon = LinearRgba::from(HAZE);
    let colours: Vec<[f32; 4]> = match dome.attribute(Mesh::ATTRIBUTE_POSITION) {
        Some(VertexAttributeValues::Float32x3(positions)) => positions
            .iter()
            .map(|p| {
                // Most of the sky a citizen sees is within 20° of the horizon: let the
                // blue deepen quickly above it.
                let t = (p[1] / radius / 0.45).clamp(0.0, 1.0).powf(0.7);
                horizon.mix(&zenith, t).to_f32_array()
            })
            .collect(),
        _ => Vec::new(),
    };
    dome.insert_attribute(Mesh::ATTRIBUTE_COLOR, colours);
    commands.spawn((
        Name::new("Sky"),
        Mesh3d(meshes.add(dome)),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color: Color::WHITE,
            unlit: true,
            fog_enabled: false,
            cull_mode: Some(Face::Front),
            ..default()
        })),
        bevy::light::NotShadowCaster,
    ));
}
