//! Live city dashboards: the feeds behind each stand's charts, and how the charts are drawn.
//!
//! [`feeds_plugin`] runs the scene's feeds (an [`agora_feeds::Feeds`] hub on its own thread)
//! and keeps what each dashboard says in [`Boards`]; it needs no renderer, so tests drive it
//! headless. [`plugin`] draws it: the screen's text is painted off the frame on Bevy's
//! async compute pool, and each chart is a 3D mesh in [`material::ChartMaterial`] standing out
//! of the screen, rebuilt when its feed changes. `T`, or a click on a screen, shows the same
//! numbers as a table.

pub mod chart;
pub mod material;
pub mod screen;

use std::time::Duration;

use agora_feeds::{FeedConfig, Feeds, Options, Snapshot};
use bevy::asset::AssetMut;
use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, block_on, poll_once};

use self::material::{ChartMaterial, Style};
use self::screen::{SCREEN_PIXELS, ScreenText, chart_area, describe};
use crate::AppSystems;
use crate::booths::{DASHBOARD_SCREEN, DashboardScreen};
use crate::citizen::{Citizen, Typing};
use crate::lang::Lang;
use crate::pointer::{MousePointer, PointerHit};
use crate::scene::layout::ChartKind;
use crate::scene::{DashboardStand, Plaza};
use crate::textures::{BOLD_FONT, REGULAR_FONT, embedded_font};
use crate::xr::interaction::HandState;

/// The plaza's feeds, and which chart each one feeds.
#[derive(Resource)]
pub struct DashboardFeeds {
    feeds: Feeds,
    /// For feed `i`: its dashboard and chart.
    routes: Vec<(usize, usize)>,
}

/// What every dashboard shows now, in the layout's order.
#[derive(Resource, Debug, Default)]
pub struct Boards(pub Vec<Board>);

/// One dashboard's state.
#[derive(Debug)]
pub struct Board {
    /// The latest snapshot of each chart's feed.
    pub snapshots: Vec<Snapshot>,
    /// What its screen says.
    pub text: ScreenText,
    /// Whether it shows its numbers as a table.
    pub table: bool,
    /// Changed since it was last drawn.
    dirty: bool,
    /// When its screen was last drawn, in real time since start-up.
    drawn_at: Option<Duration>,
}

/// A screen is repainted at most this often, however many of its feeds change in between: the
/// painting runs off the frame but still costs CPU, and a stand with three feeds at 1 Hz would
/// otherwise be repainted three times a second.
pub const REDRAW_EVERY: Duration = Duration::from_secs(1);

impl Boards {
    /// Shows dashboard `index`'s numbers as a table (or its charts again), repainting it now.
    pub fn set_table(&mut self, index: usize, table: bool) {
        if let Some(board) = self.0.get_mut(index)
            && board.table != table
        {
            board.table = table;
            board.dirty = true;
            // The citizen asked: answer now, not when the next repaint is due.
            board.drawn_at = None;
        }
    }

    /// Whether every feed has answered (with values or an error) and every screen shows it.
    pub fn settled(&self) -> bool {
        self.0.iter().all(|board| {
            !board.dirty
                && board
                    .snapshots
                    .iter()
                    .all(|s| s.health != agora_feeds::Health::Waiting)
        })
    }
}

/// The dashboards' place in the frame.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DashboardSystems {
    /// Taking in what the feeds sent.
    Receive,
}

/// Runs the layout's feeds with `options` and keeps [`Boards`] current; no rendering.
pub fn feeds_plugin(options: Options) -> impl Fn(&mut App) {
    move |app: &mut App| {
        let options = options.clone();
        app.init_resource::<Boards>()
            .add_systems(
                Startup,
                move |commands: Commands, plaza: Res<Plaza>, lang: Option<Res<Lang>>| {
                    start_feeds(
                        commands,
                        &plaza,
                        lang.map_or(Lang::En, |l| *l),
                        options.clone(),
                    )
                },
            )
            .add_systems(
                Update,
                receive_feeds
                    .in_set(AppSystems::Update)
                    .in_set(DashboardSystems::Receive),
            );
    }
}

fn start_feeds(mut commands: Commands, plaza: &Plaza, lang: Lang, options: Options) {
    let mut configs = Vec::new();
    let mut routes = Vec::new();
    let mut boards = Vec::new();
    for (d, dashboard) in plaza.dashboards.iter().enumerate() {
        for (c, chart) in dashboard.charts.iter().enumerate() {
            configs.push(FeedConfig {
                name: format!("{}/{}", dashboard.id, chart.label.en),
                source: chart.source.clone(),
                unit: chart.unit.clone(),
            });
            routes.push((d, c));
        }
        let snapshots: Vec<_> = dashboard
            .charts
            .iter()
            .map(|chart| Snapshot::waiting(chart.unit.clone()))
            .collect();
        boards.push(Board {
            text: describe(dashboard, &snapshots, plaza.time_zone, lang),
            snapshots,
            table: false,
            dirty: true,
            drawn_at: None,
        });
    }
    commands.insert_resource(Boards(boards));
    commands.insert_resource(DashboardFeeds {
        feeds: Feeds::start(configs, options),
        routes,
    });
}

/// Takes in what the feeds sent since the last frame; never waits.
fn receive_feeds(
    feeds: Option<Res<DashboardFeeds>>,
    mut boards: ResMut<Boards>,
    plaza: Res<Plaza>,
    lang: Option<Res<Lang>>,
) {
    let Some(feeds) = feeds else { return };
    let mut changed = vec![false; boards.0.len()];
    for (index, snapshot) in feeds.feeds.poll() {
        let Some(&(d, c)) = feeds.routes.get(index) else {
            continue;
        };
        if let Some(slot) = boards.0.get_mut(d).and_then(|b| b.snapshots.get_mut(c)) {
            *slot = snapshot;
            changed[d] = true;
        }
    }
    // A language chosen on a panel relabels every screen at once, not at the next reading.
    let relabel = lang.as_ref().is_some_and(|l| l.is_changed());
    let lang = lang.map_or(Lang::En, |l| *l);
    for (d, board) in boards.0.iter_mut().enumerate() {
        if changed[d] || relabel {
            let text = describe(
                &plaza.dashboards[d],
                &board.snapshots,
                plaza.time_zone,
                lang,
            );
            if text != board.text {
                board.text = text;
                board.dirty = true;
            }
        }
    }
}

/// Draws the dashboards (needs the renderer's assets).
pub fn plugin(app: &mut App) {
    app.add_plugins(material::plugin)
        .insert_resource(DashboardFonts {
            regular: embedded_font(REGULAR_FONT),
            bold: embedded_font(BOLD_FONT),
        })
        .add_systems(
            Update,
            (
                toggle_table
                    .in_set(AppSystems::Update)
                    .after(DashboardSystems::Receive),
                (attach_charts, refresh_boards, show_drawings)
                    .chain()
                    .in_set(AppSystems::Present),
            ),
        );
}

#[derive(Resource)]
struct DashboardFonts {
    regular: ab_glyph::FontArc,
    bold: ab_glyph::FontArc,
}

/// One mesh of a chart.
#[derive(Component, Debug)]
struct ChartPart {
    dashboard: usize,
    chart: usize,
    role: Role,
    mesh: Handle<Mesh>,
    material: Handle<ChartMaterial>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Bars,
    Line,
    Area,
    Track,
    Value,
}

/// A screen picture being painted off the frame.
#[derive(Component)]
pub(crate) struct Drawing(Task<Image>);

/// Chart colours, in turn across the plaza: sky, amber, mint, coral.
const PALETTE: [Color; 4] = [
    Color::srgb(0.25, 0.71, 0.91),
    Color::srgb(0.96, 0.65, 0.14),
    Color::srgb(0.33, 0.84, 0.6),
    Color::srgb(0.96, 0.45, 0.4),
];

/// Metres per screen pixel.
fn metres_per_pixel() -> Vec2 {
    DASHBOARD_SCREEN / Vec2::new(SCREEN_PIXELS[0] as f32, SCREEN_PIXELS[1] as f32)
}

/// The chart area of chart `index` of `count`, in the screen's own frame (metres from its
/// centre, x to the viewer's right): its bottom-left corner and size.
fn area_on_screen(kind: ChartKind, index: usize, count: usize) -> (Vec2, Vec2) {
    let area = chart_area(kind, index, count);
    let scale = metres_per_pixel();
    let corner = Vec2::new(area.min.x * scale.x, area.max.y * scale.y);
    let origin = Vec2::new(
        corner.x - DASHBOARD_SCREEN.x / 2.0,
        DASHBOARD_SCREEN.y / 2.0 - corner.y,
    );
    (origin, area.size() * scale)
}

/// Gives each new screen the meshes of its charts.
fn attach_charts(
    mut commands: Commands,
    screens: Query<(Entity, &DashboardScreen), Added<DashboardScreen>>,
    plaza: Res<Plaza>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<ChartMaterial>>,
    mut boards: ResMut<Boards>,
) {
    for (entity, screen) in &screens {
        let Some(dashboard) = plaza.dashboards.get(screen.index) else {
            continue;
        };
        let count = dashboard.charts.len();
        for (c, chart) in dashboard.charts.iter().enumerate() {
            let colour = PALETTE[(screen.index + c) % PALETTE.len()];
            let (origin, _) = area_on_screen(chart.kind, c, count);
            let roles: &[(Role, Style)] = match chart.kind {
                ChartKind::Bars => &[(Role::Bars, Style::Bars)],
                ChartKind::Line => &[(Role::Area, Style::Area), (Role::Line, Style::Plain)],
                ChartKind::Gauge => &[(Role::Track, Style::Track), (Role::Value, Style::Plain)],
            };
            for &(role, style) in roles {
                let mesh = meshes.add(Mesh::from(Cuboid::from_length(0.0)));
                let material = materials.add(ChartMaterial::new(colour, style));
                commands.entity(entity).with_child((
                    Name::new(format!("{} chart {c} {role:?}", dashboard.id)),
                    ChartPart {
                        dashboard: screen.index,
                        chart: c,
                        role,
                        mesh: mesh.clone(),
                        material: material.clone(),
                    },
                    Mesh3d(mesh),
                    MeshMaterial3d(material),
                    Transform::from_translation(origin.extend(0.0)),
                ));
            }
        }
        if let Some(board) = boards.0.get_mut(screen.index) {
            board.dirty = true;
        }
    }
}

/// Rebuilds the charts of every dashboard whose feeds changed, and starts painting its screen.
fn refresh_boards(
    mut commands: Commands,
    mut boards: ResMut<Boards>,
    plaza: Res<Plaza>,
    fonts: Res<DashboardFonts>,
    lang: Option<Res<Lang>>,
    screens: Query<(Entity, &DashboardScreen), Without<Drawing>>,
    parts: Query<&ChartPart>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<ChartMaterial>>,
    time: Res<Time<Real>>,
    settings: Option<Res<crate::settings::SettingsStore>>,
    mut painted_look: Local<screen::ScreenLook>,
) {
    let lang = lang.map_or(Lang::En, |l| *l);
    let now = time.elapsed();
    // The citizen's contrast and text size repaint every screen.
    let look = settings.map_or_else(screen::ScreenLook::default, |store| screen::ScreenLook {
        contrast: store.settings.contrast,
        scale: store.settings.text_scale,
    });
    if look != *painted_look {
        for board in &mut boards.0 {
            board.dirty = true;
            board.drawn_at = None;
        }
        *painted_look = look;
    }
    for (entity, screen) in &screens {
        let Some(board) = boards.0.get_mut(screen.index) else {
            continue;
        };
        let recent = board
            .drawn_at
            .is_some_and(|at| now.saturating_sub(at) < REDRAW_EVERY);
        if !board.dirty || recent {
            continue;
        }
        board.dirty = false;
        board.drawn_at = Some(now);
        let count = board.text.charts.len();
        for part in parts.iter().filter(|p| p.dashboard == screen.index) {
            let (Some(text), Some(spec)) = (
                board.text.charts.get(part.chart),
                plaza.dashboards[screen.index].charts.get(part.chart),
            ) else {
                continue;
            };
            let (_, size) = area_on_screen(spec.kind, part.chart, count);
            let hidden = board.table;
            let mesh = if hidden {
                Mesh::from(Cuboid::from_length(0.0))
            } else {
                part_mesh(part.role, &text.points, size)
            };
            let _ = meshes.insert(&part.mesh, mesh);
            if let Some(mut material) = materials.get_mut(&part.material)
                && material.stale() != text.stale
            {
                material.set_stale(text.stale);
            }
        }
        let (text, table) = (board.text.clone(), board.table);
        let (regular, bold) = (fonts.regular.clone(), fonts.bold.clone());
        let task = AsyncComputeTaskPool::get().spawn(async move {
            screen::draw(&text, &regular, &bold, table, lang, look).into_image(false)
        });
        commands.entity(entity).insert(Drawing(task));
    }
}

fn part_mesh(role: Role, points: &[Vec2], size: Vec2) -> Mesh {
    match role {
        Role::Bars => bars_for(points, size),
        Role::Line => chart::line(points, size, 0.028, 0.04).0,
        Role::Area => chart::line(points, size, 0.028, 0.04).1,
        // The track is shallower than the value, so their fronts never fight for a pixel.
        Role::Track => gauge(size, 1.0, 0.025),
        Role::Value => gauge(size, points.first().map_or(0.0, |p| p.y), 0.05),
    }
}

fn bars_for(points: &[Vec2], size: Vec2) -> Mesh {
    let heights: Vec<f32> = points.iter().map(|p| p.y).collect();
    chart::bars(&heights, size, 0.06)
}

fn gauge(size: Vec2, fraction: f32, depth: f32) -> Mesh {
    let radius = size.x.min(size.y) / 2.0 * 0.96;
    chart::arc(size / 2.0, radius, radius * 0.2, fraction, depth)
}

/// Puts finished screen pictures up.
fn show_drawings(
    mut commands: Commands,
    mut drawings: Query<(
        Entity,
        &DashboardScreen,
        &MeshMaterial3d<StandardMaterial>,
        &mut Drawing,
    )>,
    mut images: ResMut<Assets<Image>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    for (entity, screen, material, mut drawing) in &mut drawings {
        if let Some(image) = block_on(poll_once(&mut drawing.0)) {
            let _ = images.insert(&screen.image, image);
            // A material keeps the texture it was prepared with until it changes itself.
            let _ = materials.get_mut(&material.0).map(AssetMut::into_inner);
            commands.entity(entity).remove::<Drawing>();
        }
    }
}

/// `T` shows the numbers of the dashboard the citizen looks at as a table (and back); so does
/// a click on its screen, or a controller's trigger pulled at it.
pub fn toggle_table(
    keys: Res<ButtonInput<KeyCode>>,
    buttons: Res<ButtonInput<MouseButton>>,
    typing: Option<Res<Typing>>,
    eyes: Query<&GlobalTransform, With<Citizen>>,
    hits: Query<&PointerHit, With<MousePointer>>,
    hands: Query<(&PointerHit, &HandState)>,
    screens: Query<&DashboardScreen>,
    stands: Query<(&DashboardStand, &GlobalTransform)>,
    mut boards: ResMut<Boards>,
) {
    let mouse = buttons
        .just_pressed(MouseButton::Left)
        .then(|| hits.iter().find_map(|hit| screens.get(hit.surface?).ok()))
        .flatten();
    // A trigger pulled at a screen, in a headset.
    let trigger = hands
        .iter()
        .filter(|(_, hand)| hand.just_pressed)
        .find_map(|(hit, _)| screens.get(hit.surface?).ok());
    let clicked = mouse.or(trigger).map(|screen| screen.index);
    let pressed_t = keys.just_pressed(KeyCode::KeyT) && !typing.is_some_and(|t| t.0);
    let looked_at = pressed_t
        .then(|| {
            let eyes = eyes.iter().next()?;
            stands
                .iter()
                .filter_map(|(stand, at)| {
                    let to = at.translation() + Vec3::Y * 1.9 - eyes.translation();
                    let distance = to.length();
                    let facing = to.normalize_or_zero().dot(*eyes.forward());
                    (distance < 14.0 && facing > 0.7).then_some((stand.index, distance))
                })
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(index, _)| index)
        })
        .flatten();
    for index in clicked.into_iter().chain(looked_at) {
        if let Some(table) = boards.0.get(index).map(|board| !board.table) {
            boards.set_table(index, table);
        }
    }
}
