//! A caption for every sound, in the interface's language: each cue as it plays, each sound of
//! the plaza as it comes into earshot and as it fades, the citizen's footsteps as they start,
//! with the side a spatial sound comes from as a word and an arrow ("↖ [Fountain, ahead
//! left]"). Captions follow the citizen's settings (on at a kiosk unless turned off, their own
//! size or the text size), and work the same with no audio device.
//!
//! On a screen (desktop, kiosk) they are a band above the bottom edge; in a headset the same
//! lines are drawn into a band that hangs below the middle of the view, locked to the head.

use bevy::prelude::*;

use super::{Ambient, Cue, Ears, Sound, Stepped};
use crate::AppSystems;
use crate::citizen::Citizen;
use crate::lang::{Lang, UiFont};
use crate::panel::PanelPlacement;
use crate::settings::SettingsStore;
use crate::xr::interaction::Head;

/// What a caption says was heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// A cue played.
    Cue(Cue),
    /// A sound of the plaza came into earshot.
    Near(Sound),
    /// A sound of the plaza faded out of earshot.
    Away(Sound),
    /// The citizen's footsteps started.
    Steps,
}

/// One caption on show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Caption {
    /// What was heard.
    pub heard: Heard,
    /// Where it came from in the plaza, for a spatial sound.
    pub from: Option<Vec3>,
    /// Until when it shows, in seconds of the app's time.
    pub until: f32,
}

/// The captions on show, oldest first.
#[derive(Resource, Debug, Clone, Default)]
pub struct Captions {
    /// On show now.
    pub lines: Vec<Caption>,
    /// Whether captions are on when the citizen has not said (at a kiosk).
    pub on_by_default: bool,
}

/// At most this many captions show at once; an older one gives way.
pub const MOST_LINES: usize = 3;

/// Level (after distance, before the citizen's volumes) at which a sound is in earshot, and
/// below which it has faded; apart, so that standing at the edge does not flicker.
const EARSHOT: (f32, f32) = (0.05, 0.035);

impl Captions {
    /// Whether captions show under `settings`.
    pub fn on(&self, settings: &crate::settings::Settings) -> bool {
        settings.sound.captions.unwrap_or(self.on_by_default)
    }

    /// Shows `heard` from `from` until `until`; the same thing already on show is refreshed in
    /// place rather than repeated.
    pub fn show(&mut self, heard: Heard, from: Option<Vec3>, until: f32) {
        if let Some(line) = self.lines.iter_mut().find(|line| line.heard == heard) {
            line.from = from;
            line.until = line.until.max(until);
            return;
        }
        self.lines.retain(|line| match (line.heard, heard) {
            // A sound that comes back replaces its fading, and the other way round.
            (Heard::Near(a), Heard::Away(b)) | (Heard::Away(a), Heard::Near(b)) => a != b,
            _ => true,
        });
        self.lines.push(Caption { heard, from, until });
        if self.lines.len() > MOST_LINES {
            self.lines.remove(0);
        }
    }
}

/// Which way a sound is from the listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// In front.
    Ahead,
    /// In front, to the right.
    AheadRight,
    /// To the right.
    Right,
    /// Behind, to the right.
    BehindRight,
    /// Behind.
    Behind,
    /// Behind, to the left.
    BehindLeft,
    /// To the left.
    Left,
    /// In front, to the left.
    AheadLeft,
    /// Where the listener stands (in the fountain's spray, say).
    Around,
}

impl Side {
    /// The side of `at` for a listener at `ears` (looking along its −z, its right +x).
    pub fn of(ears: &Transform, at: Vec3) -> Self {
        let local = ears.rotation.inverse() * (at - ears.translation);
        let flat = Vec2::new(local.x, -local.z);
        if flat.length() < 0.75 {
            return Side::Around;
        }
        // 0° ahead, 90° right.
        let degrees = flat.x.atan2(flat.y).to_degrees().rem_euclid(360.0);
        const CLOCKWISE: [Side; 8] = [
            Side::Ahead,
            Side::AheadRight,
            Side::Right,
            Side::BehindRight,
            Side::Behind,
            Side::BehindLeft,
            Side::Left,
            Side::AheadLeft,
        ];
        CLOCKWISE[(((degrees + 22.5) / 45.0) as usize) % 8]
    }

    /// An arrow pointing that way, as seen from above with ahead up.
    pub fn arrow(self) -> &'static str {
        match self {
            Side::Ahead => "↑",
            Side::AheadRight => "↗",
            Side::Right => "→",
            Side::BehindRight => "↘",
            Side::Behind => "↓",
            Side::BehindLeft => "↙",
            Side::Left => "←",
            Side::AheadLeft => "↖",
            Side::Around => "○",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Side::Ahead => "caption-side-ahead",
            Side::AheadRight => "caption-side-ahead-right",
            Side::Right => "caption-side-right",
            Side::BehindRight => "caption-side-behind-right",
            Side::Behind => "caption-side-behind",
            Side::BehindLeft => "caption-side-behind-left",
            Side::Left => "caption-side-left",
            Side::AheadLeft => "caption-side-ahead-left",
            Side::Around => "caption-side-around",
        }
    }
}

fn sound_message(sound: Sound) -> &'static str {
    match sound {
        Sound::Fountain => "caption-fountain",
        Sound::Traffic => "caption-traffic",
        Sound::Birds => "caption-birds",
        Sound::Murmur => "caption-murmur",
        Sound::Step => "caption-steps",
        Sound::Cue(cue) => cue_message(cue),
    }
}

fn cue_message(cue: Cue) -> &'static str {
    match cue {
        Cue::Hover => "caption-hover",
        Cue::Press => "caption-press",
        Cue::Key => "caption-key",
        Cue::Error => "caption-error",
        Cue::Queued => "caption-queued",
        Cue::Recorded => "caption-recorded",
        Cue::Approved => "caption-approved",
        Cue::Rejected => "caption-rejected",
        Cue::Referred => "caption-referred",
        Cue::Countdown => "caption-countdown",
    }
}

/// The caption's words in `lang`, for a listener at `ears`: "↖ [Fountain, ahead left]".
pub fn text(caption: &Caption, ears: &Transform, lang: Lang) -> String {
    let (sound, fading) = match caption.heard {
        Heard::Cue(cue) => (Sound::Cue(cue), false),
        Heard::Near(sound) => (sound, false),
        Heard::Away(sound) => (sound, true),
        Heard::Steps => (Sound::Step, false),
    };
    let what = crate::lang::text(lang, sound_message(sound));
    match caption.from {
        None => crate::lang::format(lang, "caption-line", &[("sound", &what)]),
        Some(at) => {
            let side = Side::of(ears, at);
            let words = crate::lang::text(lang, side.message());
            let id = if fading {
                "caption-line-fading"
            } else {
                "caption-line-from"
            };
            let line = crate::lang::format(lang, id, &[("sound", &what), ("side", &words)]);
            format!("{} {line}", side.arrow())
        }
    }
}

/// Adds this feature to the app; `kiosk` turns captions on by default.
pub fn plugin(kiosk: bool) -> impl Fn(&mut App) {
    move |app: &mut App| {
        app.insert_resource(Captions {
            lines: Vec::new(),
            on_by_default: kiosk,
        })
        .add_systems(Startup, spawn_band)
        .add_systems(
            Update,
            (hear, notice_ambience, show_band, show_in_headset)
                .chain()
                .after(super::follow_head)
                .in_set(AppSystems::Present),
        );
    }
}

/// How long a cue's caption shows, in seconds.
const CUE_SECONDS: f32 = 3.0;
/// How long a change in the plaza's sound shows.
const AMBIENCE_SECONDS: f32 = 5.0;

/// Captions for the cues and footsteps heard this frame.
fn hear(
    mut cues: MessageReader<Cue>,
    mut steps: MessageReader<Stepped>,
    mut captions: ResMut<Captions>,
    time: Res<Time>,
    picture: Option<Res<crate::screenshot::ScreenshotRequest>>,
) {
    let now = time.elapsed_secs();
    for cue in cues.read() {
        let seconds = if *cue == Cue::Hover { 1.5 } else { CUE_SECONDS };
        captions.show(Heard::Cue(*cue), None, now + seconds);
    }
    for step in steps.read() {
        if step.first {
            captions.show(Heard::Steps, None, now + CUE_SECONDS);
        }
    }
    // A picture shows what was heard while it was being taken, however long that took.
    if picture.is_none() && captions.lines.iter().any(|line| line.until < now) {
        captions.lines.retain(|line| line.until >= now);
    }
}

/// A caption whenever a sound of the plaza comes into earshot or fades out of it.
fn notice_ambience(
    mut heard: Local<std::collections::HashMap<Entity, bool>>,
    sounds: Query<(Entity, &Ambient)>,
    ears: Query<&Transform, With<Ears>>,
    mut captions: ResMut<Captions>,
    time: Res<Time>,
) {
    let Ok(ears) = ears.single() else {
        return;
    };
    let now = time.elapsed_secs();
    for (entity, Ambient(placed)) in &sounds {
        let gain = placed.gain_at(ears.translation.distance(placed.at));
        let was = heard.get(&entity).copied();
        let is = if was == Some(true) {
            gain >= EARSHOT.1
        } else {
            gain >= EARSHOT.0
        };
        if was != Some(is) {
            heard.insert(entity, is);
            if is {
                captions.show(
                    Heard::Near(placed.sound),
                    Some(placed.at),
                    now + AMBIENCE_SECONDS,
                );
            } else if was.is_some() {
                captions.show(
                    Heard::Away(placed.sound),
                    Some(placed.at),
                    now + AMBIENCE_SECONDS,
                );
            }
        } else if is
            && let Some(line) = captions
                .lines
                .iter_mut()
                .find(|line| line.heard == Heard::Near(placed.sound))
            && let Some(from) = line.from
            && ears.translation.distance(placed.at) < ears.translation.distance(from)
        {
            // Of several birds, the caption points at the nearest.
            line.from = Some(placed.at);
        }
    }
}

/// The band of captions on a screen.
#[derive(Component, Debug)]
pub struct CaptionBand;

/// One caption's line in the band.
#[derive(Component, Debug)]
pub struct CaptionLine;

/// The caption text's size at 100 %, in logical pixels.
pub const CAPTION_PX: f32 = 22.0;

/// Behind caption text: near-black, opaque enough that white text on it passes 4.5:1 over
/// the brightest plaza (bevy_ui blends in linear light: over white, 5 % of white shows through,
/// about 11:1).
pub const CAPTION_BACKGROUND: Color = Color::srgba(0.0, 0.0, 0.0, 0.95);

fn spawn_band(mut commands: Commands) {
    commands.spawn((
        Name::new("Captions"),
        CaptionBand,
        Node {
            position_type: PositionType::Absolute,
            // Just above the line of help at the bottom of a desktop window.
            bottom: px(76),
            left: percent(0),
            width: percent(100),
            flex_direction: FlexDirection::Column,
            align_items: AlignItems::Center,
            row_gap: px(6),
            ..default()
        },
        GlobalZIndex(5),
    ));
}

/// How large captions are under `store`'s settings, 1 to 2.
pub fn size(store: &SettingsStore) -> f32 {
    let settings = &store.settings;
    settings
        .sound
        .caption_size
        .unwrap_or(settings.text_scale)
        .clamp(1.0, 2.0)
}

/// The captions' lines as they read now, or none when captions are off.
fn lines_now(
    captions: &Captions,
    store: &SettingsStore,
    ears: &Transform,
    lang: Lang,
) -> Vec<String> {
    if !captions.on(&store.settings) {
        return Vec::new();
    }
    captions
        .lines
        .iter()
        .map(|caption| text(caption, ears, lang))
        .collect()
}

/// Rebuilds the screen's band when what it says (or its size) changes.
#[allow(clippy::too_many_arguments)]
fn show_band(
    mut shown: Local<(Vec<String>, f32)>,
    mut commands: Commands,
    captions: Res<Captions>,
    store: Res<SettingsStore>,
    lang: Res<Lang>,
    font: Res<UiFont>,
    ears: Query<&Transform, With<Ears>>,
    band: Query<Entity, With<CaptionBand>>,
    placement: Option<Res<PanelPlacement>>,
) {
    let (Ok(ears), Ok(band)) = (ears.single(), band.single()) else {
        return;
    };
    // As a headset shows them, they are in the view's own band instead.
    let lines = if headset_view(placement.as_deref()) {
        Vec::new()
    } else {
        lines_now(&captions, &store, ears, *lang)
    };
    let scale = size(&store);
    if shown.0 == lines && shown.1 == scale {
        return;
    }
    commands.entity(band).despawn_related::<Children>();
    for line in &lines {
        commands.spawn((
            CaptionLine,
            ChildOf(band),
            Node {
                padding: UiRect::axes(px(14.0 * scale), px(6.0 * scale)),
                max_width: percent(80),
                ..default()
            },
            BackgroundColor(CAPTION_BACKGROUND),
            children![(
                Text::new(line.clone()),
                TextFont::from(font.0.clone()).with_font_size(CAPTION_PX * scale),
                TextColor(Color::WHITE),
            )],
        ));
    }
    *shown = (lines, scale);
}

/// Whether the plaza is seen as a headset shows it (the panel within reach): in a headset, or
/// in a picture of the headset's view.
fn headset_view(placement: Option<&PanelPlacement>) -> bool {
    placement == Some(&PanelPlacement::WithinReach)
}

/// The band of captions in a headset, hung from the head.
#[derive(Component, Debug)]
pub struct HeadsetCaptions;

/// Where the headset's band hangs from the head: 0.6 m ahead (nearer than any panel, so it is
/// never behind one), 16° below the middle of the view (inside every headset's field of view,
/// never at its edge).
pub const HEADSET_BAND_AT: Vec3 = Vec3::new(0.0, -0.17, -0.6);
/// The band's size, in metres: at 100 % its lines are 13 mm tall 0.6 m away, about 1.25°.
pub const HEADSET_BAND_SIZE: Vec2 = Vec2::new(0.54, 0.096);

/// Draws the captions into the headset's band when they change.
#[allow(clippy::too_many_arguments)]
fn show_in_headset(
    mut shown: Local<Vec<String>>,
    mut commands: Commands,
    captions: Res<Captions>,
    store: Res<SettingsStore>,
    lang: Res<Lang>,
    heads: Query<Entity, With<Head>>,
    eyes: Query<Entity, With<Citizen>>,
    placement: Option<Res<PanelPlacement>>,
    ears: Query<&Transform, With<Ears>>,
    mut bands: Query<(&mut Visibility, &MeshMaterial3d<StandardMaterial>), With<HeadsetCaptions>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut images: ResMut<Assets<Image>>,
) {
    // The headset's head; without one, the desktop's eyes in a view posed as a headset's.
    let head = heads.iter().next().or_else(|| {
        headset_view(placement.as_deref())
            .then(|| eyes.iter().next())
            .flatten()
    });
    let (Some(head), Ok(ears)) = (head, ears.single()) else {
        return;
    };
    let lines = lines_now(&captions, &store, ears, *lang);
    if *shown == lines && !bands.is_empty() {
        return;
    }
    let image = images.add(band_image(&lines, size(&store)));
    match bands.iter_mut().next() {
        Some((mut visibility, band)) => {
            *visibility = if lines.is_empty() {
                Visibility::Hidden
            } else {
                Visibility::Inherited
            };
            if let Some(mut material) = materials.get_mut(&band.0) {
                material.base_color_texture = Some(image);
            }
        }
        None => {
            // The head may come from OpenXR with no visibility of its own to inherit.
            commands.entity(head).insert_if_new(Visibility::default());
            commands.spawn((
                Name::new("Headset captions"),
                HeadsetCaptions,
                ChildOf(head),
                Mesh3d(meshes.add(Rectangle::from_size(HEADSET_BAND_SIZE))),
                MeshMaterial3d(materials.add(StandardMaterial {
                    base_color_texture: Some(image),
                    unlit: true,
                    // The strips are opaque (the plaza's glowing panels would show through any
                    // translucency); around them, nothing.
                    alpha_mode: AlphaMode::Mask(0.5),
                    ..default()
                })),
                // Tilted to face the eyes it hangs below.
                Transform::from_translation(HEADSET_BAND_AT)
                    .with_rotation(Quat::from_rotation_x(-16f32.to_radians())),
                if lines.is_empty() {
                    Visibility::Hidden
                } else {
                    Visibility::Inherited
                },
            ));
        }
    }
    *shown = lines;
}

/// The headset band's picture: up to [`MOST_LINES`] lines, white on black strips, the
/// newest at the bottom; `scale` makes each line taller (fewer fit, older ones drop out).
pub fn band_image(lines: &[String], scale: f32) -> Image {
    use crate::textures::{Align, Canvas, REGULAR_FONT, embedded_font};
    let (width, height) = (1152u32, 205u32);
    let mut canvas = Canvas::new(width, height, [0, 0, 0, 0]);
    let font = embedded_font(REGULAR_FONT);
    let line_px = 44.0 * scale.clamp(1.0, 2.0);
    let row = line_px * 1.5;
    let fit = ((height as f32 / row).floor() as usize).max(1);
    let shown = &lines[lines.len().saturating_sub(fit)..];
    let mut top = height as f32 - row * shown.len() as f32;
    for line in shown {
        // Each line on its own black strip, as wide as its words.
        let wide = crate::textures::text_width(&font, ab_glyph::PxScale::from(line_px), line)
            .min(width as f32 - 40.0)
            + line_px;
        canvas.fill_rect(
            ((width as f32 - wide) / 2.0) as i32,
            top as i32 + 2,
            wide as i32,
            row as i32 - 4,
            [0, 0, 0, 255],
        );
        canvas.text(
            &font,
            line_px,
            line,
            width as f32 / 2.0,
            top + (row - line_px) / 2.0 - line_px * 0.08,
            width as f32 - 40.0,
            Align::Centre,
            [255, 255, 255],
        );
        top += row;
    }
    canvas.into_image(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::panel::theme::contrast;

    #[test]
    fn caption_text_passes_aa_over_the_brightest_plaza_and_in_a_headset() {
        // The band over pure white, blended in linear light as the renderer blends.
        let alpha = CAPTION_BACKGROUND.alpha();
        let behind = LinearRgba::WHITE.to_f32_array();
        let shade = Color::linear_rgb(
            behind[0] * (1.0 - alpha),
            behind[1] * (1.0 - alpha),
            behind[2] * (1.0 - alpha),
        )
        .to_srgba()
        .to_u8_array();
        let ratio = contrast([255, 255, 255], [shade[0], shade[1], shade[2]]);
        assert!(ratio >= 4.5, "caption text over white: {ratio:.1}:1");

        // The headset's band: every pixel is clear, black or a blend of white on black.
        let image = band_image(&["↖ [Fountain, ahead left]".to_owned()], 1.0);
        let width = image.texture_descriptor.size.width as usize;
        let height = image.texture_descriptor.size.height as usize;
        let data = image.data.as_ref().expect("pixels");
        let pixels: Vec<&[u8]> = data[..width * height * 4].chunks(4).collect();
        let strip: Vec<&&[u8]> = pixels.iter().filter(|p| p[3] > 0).collect();
        assert!(!strip.is_empty(), "a strip is drawn");
        assert!(strip.iter().all(|p| p[3] == 255), "the strip is opaque");
        let text = strip.iter().filter(|p| p[0] > 250).count();
        assert!(text > 200, "white text on it: {text} pixels");
        assert!(
            strip.iter().all(|p| p[0] == p[1] && p[1] == p[2]),
            "only white on black"
        );
        assert_eq!(contrast([255, 255, 255], [0, 0, 0]).round(), 21.0);
    }

    #[test]
    fn every_caption_can_be_written_with_the_ui_font_in_both_languages() {
        use crate::textures::{REGULAR_FONT, embedded_font, missing_glyphs};
        let font = embedded_font(REGULAR_FONT);
        let ears = Transform::from_xyz(0.0, 1.6, 0.0);
        let mut heard: Vec<Heard> = Cue::ALL.iter().map(|cue| Heard::Cue(*cue)).collect();
        for sound in [Sound::Fountain, Sound::Traffic, Sound::Birds, Sound::Murmur] {
            heard.extend([Heard::Near(sound), Heard::Away(sound)]);
        }
        heard.push(Heard::Steps);
        for lang in [Lang::En, Lang::ZhCn] {
            for heard in &heard {
                for from in [None, Some(Vec3::ZERO)].into_iter().chain((0..8).map(|i| {
                    let angle = i as f32 * std::f32::consts::FRAC_PI_4;
                    Some(Vec3::new(angle.sin() * 5.0, 0.0, -angle.cos() * 5.0))
                })) {
                    let caption = Caption {
                        heard: *heard,
                        from,
                        until: 0.0,
                    };
                    let line = text(&caption, &ears, lang);
                    assert!(line.contains('[') && !line.contains("caption-"), "{line}");
                    assert_eq!(missing_glyphs(&font, &line), Vec::<char>::new(), "{line}");
                }
            }
        }
    }

    #[test]
    fn sides_are_told_from_where_the_head_looks() {
        let ears = Transform::from_xyz(0.0, 1.6, 0.0);
        assert_eq!(Side::of(&ears, Vec3::new(0.0, 0.0, -5.0)), Side::Ahead);
        assert_eq!(Side::of(&ears, Vec3::new(5.0, 0.0, 0.0)), Side::Right);
        assert_eq!(Side::of(&ears, Vec3::new(-5.0, 0.0, 5.0)), Side::BehindLeft);
        assert_eq!(Side::of(&ears, Vec3::new(0.2, 0.0, 0.2)), Side::Around);
        // Turned to face east, north is on the left.
        let turned = ears.looking_to(Vec3::X, Vec3::Y);
        assert_eq!(Side::of(&turned, Vec3::new(0.0, 0.0, -5.0)), Side::Left);
    }

    #[test]
    fn the_same_sound_refreshes_its_line_and_a_fourth_pushes_out_the_oldest() {
        let mut captions = Captions::default();
        captions.show(Heard::Cue(Cue::Key), None, 1.0);
        captions.show(Heard::Cue(Cue::Key), None, 2.0);
        assert_eq!(captions.lines.len(), 1);
        assert_eq!(captions.lines[0].until, 2.0);
        captions.show(Heard::Near(Sound::Fountain), Some(Vec3::ZERO), 5.0);
        captions.show(Heard::Away(Sound::Fountain), Some(Vec3::ZERO), 6.0);
        assert_eq!(captions.lines.len(), 2, "fading replaces coming near");
        captions.show(Heard::Cue(Cue::Queued), None, 3.0);
        captions.show(Heard::Cue(Cue::Recorded), None, 3.0);
        assert_eq!(captions.lines.len(), MOST_LINES);
        assert_eq!(captions.lines[0].heard, Heard::Away(Sound::Fountain));
    }
}
