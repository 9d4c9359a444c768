//! How service windows, dashboard stands and the fountain look.
//!
//! [`crate::scene`] spawns what stands where; observers here add the geometry to each new
//! entity as its children. A booth is a small pavilion in its department's colour with a
//! bilingual sign above the counter and a screen where the service's panel will open; a
//! dashboard stand is a framed screen on two legs with its title.

use bevy::prelude::*;

use crate::pointer::PanelSurface;
use crate::scene::layout::{BOOTH_FOOTPRINT, Bilingual, DASHBOARD_FOOTPRINT};
use crate::scene::{DashboardStand, FountainBasin, Plaza, ServiceWindow};
use crate::scenery::{colour, matte};
use crate::textures::{BOLD_FONT, Canvas, TextLine, embedded_font};

/// Materials and meshes that every booth shares, made once.
#[derive(Resource)]
struct Kit {
    font: ab_glyph::FontArc,
    plinth: Handle<StandardMaterial>,
    wall: Handle<StandardMaterial>,
    wood: Handle<StandardMaterial>,
    screen: Handle<StandardMaterial>,
    frame: Handle<StandardMaterial>,
    stone: Handle<StandardMaterial>,
    water: Handle<StandardMaterial>,
}

/// The screen at the back of a booth, where the service's panel will be shown.
#[derive(Component, Debug)]
pub struct WindowScreen;

/// The screen of a dashboard stand, where its charts are drawn.
#[derive(Component, Debug, Clone)]
pub struct DashboardScreen {
    /// The dashboard's index in the layout.
    pub index: usize,
    /// The screen's picture, redrawn as its feeds change.
    pub image: Handle<Image>,
}

/// The size of a dashboard's screen, in metres.
pub const DASHBOARD_SCREEN: Vec2 = Vec2::new(DASHBOARD_FOOTPRINT[0] - 0.16, 1.96);

/// Adds this feature to the app.
pub fn plugin(app: &mut App) {
    let mut materials = app.world_mut().resource_mut::<Assets<StandardMaterial>>();
    let kit = Kit {
        font: embedded_font(BOLD_FONT),
        plinth: materials.add(matte(0x6d7178)),
        wall: materials.add(matte(0xf4f1ea)),
        wood: materials.add(matte(0x9c6b43)),
        screen: materials.add(StandardMaterial {
            base_color: colour(0x1b2a3a),
            emissive: LinearRgba::rgb(0.02, 0.04, 0.07),
            perceptual_roughness: 0.6,
            ..default()
        }),
        frame: materials.add(StandardMaterial {
            base_color: colour(0x3a3f47),
            metallic: 0.5,
            perceptual_roughness: 0.45,
            ..default()
        }),
        stone: materials.add(matte(0xd8d2c6)),
        water: materials.add(StandardMaterial {
            base_color: colour(0x3f7fae),
            perceptual_roughness: 0.06,
            reflectance: 0.7,
            ..default()
        }),
    };
    app.insert_resource(kit)
        .add_observer(dress_window)
        .add_observer(dress_dashboard)
        .add_observer(dress_fountain);
}

/// Brightness of unlit screens and signs: the tonemapper compresses white to a light grey,
/// and text must stay crisp white at a distance.
pub(crate) const GLOW: Color = Color::linear_rgb(1.3, 1.3, 1.3);

/// A sign face: text in white on the department's colour, with a lighter rule at the foot.
fn sign_texture(font: &ab_glyph::FontArc, text: &Bilingual, accent: [u8; 3]) -> Canvas {
    let (width, height) = (1024, 200);
    // A deeper shade of the department's colour, so that white text stands out on every one.
    let deep = accent.map(|c| (f32::from(c) * 0.72) as u8);
    let mut canvas = Canvas::new(width, height, [deep[0], deep[1], deep[2], 255]);
    let light = accent.map(|c| c.saturating_add(60));
    canvas.fill_rect(
        0,
        height as i32 - 10,
        width as i32,
        10,
        [light[0], light[1], light[2], 255],
    );
    canvas.draw_lines(
        font,
        &[
            TextLine {
                text: &text.en,
                size: 0.42,
                colour: [255, 255, 255],
            },
            TextLine {
                text: &text.zh_cn,
                size: 0.30,
                colour: [255, 255, 255],
            },
        ],
        4,
        height - 12,
    );
    canvas
}

/// A dashboard screen before data arrives: its title over a quiet grid.
fn dashboard_texture(font: &ab_glyph::FontArc, title: &Bilingual) -> Canvas {
    let (width, height) = (1024, 600);
    let mut canvas = Canvas::new(width, height, [16, 27, 40, 255]);
    canvas.shade(|x, y, p| {
        let on_grid = y > 150 && (x % 64 == 0 || (y - 150) % 64 == 0);
        if on_grid { [34, 52, 72, 255] } else { p }
    });
    canvas.fill_rect(0, 0, width as i32, 140, [24, 40, 58, 255]);
    canvas.fill_rect(0, 136, width as i32, 4, [64, 156, 214, 255]);
    let en = crate::lang::text(crate::lang::Lang::En, "dashboard-booth-empty");
    let zh = crate::lang::text(crate::lang::Lang::ZhCn, "dashboard-booth-empty");
    canvas.draw_lines(
        font,
        &[TextLine {
            text: &format!("{}  ·  {}", title.en, title.zh_cn),
            size: 0.11,
            colour: [236, 242, 248],
        }],
        0,
        136,
    );
    canvas.draw_lines(
        font,
        &[
            TextLine {
                text: &en,
                size: 0.06,
                colour: [150, 172, 194],
            },
            TextLine {
                text: &zh,
                size: 0.06,
                colour: [150, 172, 194],
            },
        ],
        300,
        520,
    );
    canvas
}

fn dress_window(
    add: On<Add, ServiceWindow>,
    mut commands: Commands,
    windows: Query<&ServiceWindow>,
    plaza: Res<Plaza>,
    kit: Res<Kit>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut images: ResMut<Assets<Image>>,
) {
    let Some(spec) = windows
        .get(add.entity)
        .ok()
        .and_then(|window| plaza.windows.get(window.index))
    else {
        return;
    };
    let [width, depth] = BOOTH_FOOTPRINT;
    let [r, g, b] = spec.accent.0;
    let accent = materials.add(StandardMaterial {
        base_color: Color::srgb_u8(r, g, b),
        perceptual_roughness: 0.6,
        ..default()
    });
    let sign = materials.add(StandardMaterial {
        base_color_texture: Some(
            images.add(sign_texture(&kit.font, &spec.sign, spec.accent.0).into_image(false)),
        ),
        base_color: GLOW,
        unlit: true,
        ..default()
    });
    // The front of the booth faces −z (see `scene::compass_rotation`).
    let back = depth / 2.0;
    let parts = [
        // Plinth.
        (
            Cuboid::new(width, 0.16, depth),
            kit.plinth.clone(),
            Vec3::new(0.0, 0.08, 0.0),
        ),
        // Back wall and sides.
        (
            Cuboid::new(width, 2.7, 0.2),
            kit.wall.clone(),
            Vec3::new(0.0, 1.5, back - 0.1),
        ),
        (
            Cuboid::new(0.16, 2.7, depth - 0.2),
            kit.wall.clone(),
            Vec3::new(-width / 2.0 + 0.08, 1.5, 0.0),
        ),
        (
            Cuboid::new(0.16, 2.7, depth - 0.2),
            kit.wall.clone(),
            Vec3::new(width / 2.0 - 0.08, 1.5, 0.0),
        ),
        // Counter with its front panel in the department's colour.
        (
            Cuboid::new(width - 0.4, 1.0, 0.55),
            kit.wood.clone(),
            Vec3::new(0.0, 0.66, -back + 0.55),
        ),
        (
            Cuboid::new(width - 0.3, 0.06, 0.7),
            kit.wall.clone(),
            Vec3::new(0.0, 1.19, -back + 0.5),
        ),
        (
            Cuboid::new(width - 0.5, 0.7, 0.04),
            accent.clone(),
            Vec3::new(0.0, 0.62, -back + 0.26),
        ),
        // Canopy.
        (
            Cuboid::new(width + 0.4, 0.2, depth + 0.5),
            accent.clone(),
            Vec3::new(0.0, 2.95, -0.15),
        ),
        // Sign board above the canopy, and its frame.
        (
            Cuboid::new(width, 0.82, 0.14),
            kit.frame.clone(),
            Vec3::new(0.0, 3.5, -back + 0.1),
        ),
        // The spot where a citizen stands, in front of the counter.
        (
            Cuboid::new(2.2, 0.02, 1.1),
            accent.clone(),
            Vec3::new(0.0, 0.11, -back - 0.9),
        ),
    ];
    commands.entity(add.entity).with_children(|booth| {
        for (shape, material, at) in parts {
            booth.spawn((
                Mesh3d(meshes.add(shape)),
                MeshMaterial3d(material),
                Transform::from_translation(at),
            ));
        }
        booth.spawn((
            Name::new("Sign"),
            Mesh3d(meshes.add(Rectangle::new(width - 0.12, 0.7))),
            MeshMaterial3d(sign),
            // Rectangles face +z; turn it to face the front (−z).
            Transform::from_xyz(0.0, 3.5, -back + 0.02)
                .with_rotation(Quat::from_rotation_y(std::f32::consts::PI)),
        ));
        // A warm light under the canopy, so the counter looks open whichever way the booth
        // faces the sun.
        booth.spawn((
            PointLight {
                color: Color::srgb(1.0, 0.92, 0.8),
                intensity: 40_000.0,
                range: 5.0,
                radius: 0.3,
                shadow_maps_enabled: false,
                ..default()
            },
            Transform::from_xyz(0.0, 2.4, -0.1),
        ));
        booth.spawn((
            Name::new("Window screen"),
            WindowScreen,
            Mesh3d(meshes.add(Cuboid::new(width - 0.7, 1.25, 0.05))),
            MeshMaterial3d(kit.screen.clone()),
            Transform::from_xyz(0.0, 1.95, back - 0.22),
        ));
    });
}

fn dress_dashboard(
    add: On<Add, DashboardStand>,
    mut commands: Commands,
    stands: Query<&DashboardStand>,
    plaza: Res<Plaza>,
    kit: Res<Kit>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut images: ResMut<Assets<Image>>,
) {
    let Some((index, spec)) = stands
        .get(add.entity)
        .ok()
        .and_then(|stand| Some((stand.index, plaza.dashboards.get(stand.index)?)))
    else {
        return;
    };
    let [width, depth] = DASHBOARD_FOOTPRINT;
    let image = images.add(dashboard_texture(&kit.font, &spec.title).into_image(false));
    let screen = materials.add(StandardMaterial {
        base_color_texture: Some(image.clone()),
        base_color: GLOW,
        unlit: true,
        ..default()
    });
    let (bottom, height) = (0.9, 2.0);
    let legs = [-width / 2.0 + 0.35, width / 2.0 - 0.35];
    commands.entity(add.entity).with_children(|stand| {
        stand.spawn((
            Mesh3d(meshes.add(Cuboid::new(width, 0.12, depth))),
            MeshMaterial3d(kit.plinth.clone()),
            Transform::from_xyz(0.0, 0.06, 0.0),
        ));
        for x in legs {
            stand.spawn((
                Mesh3d(meshes.add(Cuboid::new(0.12, bottom + 0.2, 0.12))),
                MeshMaterial3d(kit.frame.clone()),
                Transform::from_xyz(x, (bottom + 0.2) / 2.0, 0.1),
            ));
        }
        stand.spawn((
            Mesh3d(meshes.add(Cuboid::new(width, height + 0.16, 0.16))),
            MeshMaterial3d(kit.frame.clone()),
            Transform::from_xyz(0.0, bottom + height / 2.0, 0.1),
        ));
        stand.spawn((
            Name::new("Dashboard screen"),
            DashboardScreen { index, image },
            PanelSurface {
                size: DASHBOARD_SCREEN,
            },
            Mesh3d(meshes.add(Rectangle::from_size(DASHBOARD_SCREEN))),
            MeshMaterial3d(screen),
            Transform::from_xyz(0.0, bottom + height / 2.0, 0.1 - 0.085)
                .with_rotation(Quat::from_rotation_y(std::f32::consts::PI)),
        ));
    });
}

fn dress_fountain(
    add: On<Add, FountainBasin>,
    mut commands: Commands,
    fountains: Query<&FountainBasin>,
    kit: Res<Kit>,
    mut meshes: ResMut<Assets<Mesh>>,
) {
    let Ok(fountain) = fountains.get(add.entity) else {
        return;
    };
    let r = fountain.radius;
    let rim = Extrusion::new(Annulus::new(r - 0.35, r), 0.6);
    let upright = Quat::from_rotation_x(-std::f32::consts::FRAC_PI_2);
    commands.entity(add.entity).with_children(|basin| {
        basin.spawn((
            Mesh3d(meshes.add(rim)),
            MeshMaterial3d(kit.stone.clone()),
            Transform::from_xyz(0.0, 0.3, 0.0).with_rotation(upright),
        ));
        basin.spawn((
            Mesh3d(meshes.add(Cylinder::new(r - 0.3, 0.4).mesh().resolution(48))),
            MeshMaterial3d(kit.water.clone()),
            Transform::from_xyz(0.0, 0.25, 0.0),
        ));
        basin.spawn((
            Mesh3d(meshes.add(Cylinder::new(0.35, 1.8).mesh().resolution(24))),
            MeshMaterial3d(kit.stone.clone()),
            Transform::from_xyz(0.0, 0.9, 0.0),
        ));
        basin.spawn((
            Mesh3d(meshes.add(Cylinder::new(1.2, 0.25).mesh().resolution(32))),
            MeshMaterial3d(kit.stone.clone()),
            Transform::from_xyz(0.0, 1.8, 0.0),
        ));
        basin.spawn((
            Mesh3d(meshes.add(Cylinder::new(1.0, 0.1).mesh().resolution(32))),
            MeshMaterial3d(kit.water.clone()),
            Transform::from_xyz(0.0, 1.9, 0.0),
        ));
        basin.spawn((
            Mesh3d(meshes.add(Sphere::new(0.3).mesh().uv(16, 8))),
            MeshMaterial3d(kit.stone.clone()),
            Transform::from_xyz(0.0, 2.2, 0.0),
        ));
    });
}
