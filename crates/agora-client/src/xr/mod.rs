//! XR mode: the plaza in an OpenXR headset, and the graceful way back to the desktop.
//!
//! [`probe`] decides before the app starts whether a headset answers (and restarts the client
//! with the loader under the name bevy_mod_openxr asks for when only the runtime package is
//! installed); [`comfort`] holds the citizen's comfort settings and the geometry of teleport
//! and snap turn; [`interaction`] turns hands and head into pointing, going to windows and
//! moving, headless and tested; [`openxr`] reads the controllers and tracked hands through
//! bevy_mod_openxr and switches between headset and desktop as the session comes and goes;
//! [`visuals`] draws the rays, the arc and the vignette; [`check`] runs a bounded session
//! against a real runtime and reports what it saw (`cargo xtask xr-check`).

pub mod check;
pub mod comfort;
pub mod interaction;
pub mod openxr;
pub mod probe;
pub mod visuals;

use bevy::prelude::*;

use crate::AppSystems;
use crate::lang::{Lang, UiFont};

/// The sentences the client may say about the mode, one per situation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeSentence {
    /// No OpenXR loader on the machine.
    NoSoftware,
    /// A loader but no runtime.
    NoRuntime,
    /// A runtime but no headset.
    NotConnected,
    /// Anything else on the way to a session failed.
    CouldNotStart,
    /// The session ended while the plaza was in the headset.
    SessionEnded,
}

impl ModeSentence {
    /// Every sentence.
    pub const ALL: [ModeSentence; 5] = [
        ModeSentence::NoSoftware,
        ModeSentence::NoRuntime,
        ModeSentence::NotConnected,
        ModeSentence::CouldNotStart,
        ModeSentence::SessionEnded,
    ];

    /// The sentence in `lang`.
    pub fn text(self, lang: Lang) -> String {
        use ModeSentence::*;
        let id = match self {
            NoSoftware => "xr-no-software",
            NoRuntime => "xr-no-runtime",
            NotConnected => "xr-not-connected",
            CouldNotStart => "xr-could-not-start",
            SessionEnded => "xr-session-ended",
        };
        crate::lang::text(lang, id)
    }
}

/// Where the plaza is shown.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XrStatus {
    /// On the desktop, with no headset in play.
    #[default]
    Desktop,
    /// A headset answered; its session is starting.
    Starting,
    /// In the headset.
    InHeadset,
}

/// A sentence for the citizen about the mode (why the headset is not used), shown on the
/// desktop for a while.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct XrNotice {
    /// The sentence, while shown.
    pub text: Option<String>,
    /// Seconds it stays.
    pub remaining: f32,
}

impl XrNotice {
    /// Shows `sentence` in `lang` for twelve seconds, and prints it for anyone watching the
    /// terminal.
    pub fn say(&mut self, sentence: ModeSentence, lang: Lang) {
        self.show(&sentence.text(lang));
    }

    /// Shows `text` for twelve seconds, and prints it for anyone watching the terminal.
    pub fn show(&mut self, text: &str) {
        eprintln!("agora: {text}");
        self.text = Some(text.to_owned());
        self.remaining = 12.0;
    }
}

/// The notice's banner.
#[derive(Component)]
struct NoticeBanner;

/// The notice on the desktop; every app has it (the note can come from the probe too).
pub fn notice_plugin(app: &mut App) {
    app.init_resource::<XrNotice>()
        .init_resource::<XrStatus>()
        .add_systems(Update, show_notice.in_set(AppSystems::Present));
}

fn show_notice(
    mut commands: Commands,
    time: Res<Time>,
    font: Option<Res<UiFont>>,
    mut notice: ResMut<XrNotice>,
    banners: Query<Entity, With<NoticeBanner>>,
) {
    if notice.text.is_some() {
        notice.remaining -= time.delta_secs();
        if notice.remaining <= 0.0 {
            notice.text = None;
        }
    }
    if !notice.is_changed() {
        return;
    }
    let shown = banners.iter().next();
    match (&notice.text, shown) {
        (Some(text), None) => {
            let font = font.map(|f| f.0.clone()).unwrap_or_default();
            commands
                .spawn((
                    Name::new("Mode notice"),
                    NoticeBanner,
                    Node {
                        position_type: PositionType::Absolute,
                        top: px(20),
                        width: percent(100),
                        justify_content: JustifyContent::Center,
                        ..default()
                    },
                ))
                .with_child((
                    Node {
                        padding: UiRect::axes(px(18), px(10)),
                        border_radius: BorderRadius::all(px(8)),
                        max_width: percent(80),
                        ..default()
                    },
                    BackgroundColor(Color::srgba(0.05, 0.07, 0.1, 0.82)),
                    Text::new(text.clone()),
                    TextFont::from(font).with_font_size(20.0),
                    TextColor(Color::WHITE),
                ));
        }
        (None, Some(banner)) => {
            commands.entity(banner).despawn();
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::textures::{REGULAR_FONT, embedded_font, missing_glyphs};

    #[test]
    fn every_mode_sentence_is_one_sentence_in_both_languages_and_the_font_writes_it() {
        let font = embedded_font(REGULAR_FONT);
        for sentence in ModeSentence::ALL {
            let (en, zh) = (sentence.text(Lang::En), sentence.text(Lang::ZhCn));
            assert!(
                en.ends_with('.') && !en.trim_end_matches('.').contains(". "),
                "{en}"
            );
            assert!(zh.ends_with('。') && zh.matches('。').count() == 1, "{zh}");
            assert!(
                missing_glyphs(&font, &zh).is_empty(),
                "{zh}: {:?}",
                missing_glyphs(&font, &zh)
            );
        }
    }
}
