//! The citizen's language (`--lang en|zh-CN`) and the font that can write both.
//!
//! Signs in the plaza are always bilingual; the language chosen here is the one the interface
//! speaks to the citizen in.

use bevy::prelude::*;

use crate::textures::REGULAR_FONT;

/// The language the interface speaks.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    ZhCn,
}

impl Lang {
    /// Parses a BCP 47 tag as given on the command line.
    pub fn from_tag(tag: &str) -> Option<Self> {
        match tag.to_ascii_lowercase().as_str() {
            "en" | "en-gb" | "en-us" => Some(Lang::En),
            "zh-cn" | "zh-hans" | "zh" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    /// Its BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The help line at the bottom of the desktop view.
    pub fn controls_hint(self, pointer_captured: bool) -> &'static str {
        match (self, pointer_captured) {
            (Lang::En, false) => {
                "Click to look around  ·  W A S D or arrow keys to walk  ·  Q / E to turn"
            }
            (Lang::En, true) => {
                "Move the mouse to look  ·  W A S D to walk, Shift to hurry  ·  Esc frees the mouse"
            }
            (Lang::ZhCn, false) => "点击画面以环顾四周  ·  W A S D 或方向键行走  ·  Q / E 转身",
            (Lang::ZhCn, true) => "移动鼠标环顾  ·  W A S D 行走，按住 Shift 快走  ·  Esc 释放鼠标",
        }
    }
}

impl From<Lang> for agora_services::Lang {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::En => agora_services::Lang::En,
            Lang::ZhCn => agora_services::Lang::ZhCn,
        }
    }
}

/// The interface font, with Latin and Chinese glyphs.
#[derive(Resource, Debug, Clone)]
pub struct UiFont(pub Handle<Font>);

/// Adds this feature to the app.
pub fn plugin(app: &mut App) {
    app.init_resource::<Lang>();
    let font = app
        .world_mut()
        .resource_mut::<Assets<Font>>()
        .add(Font::from_bytes(REGULAR_FONT.to_vec()));
    app.insert_resource(UiFont(font));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::textures::{embedded_font, missing_glyphs};

    #[test]
    fn command_line_tags_are_understood() {
        assert_eq!(Lang::from_tag("zh-CN"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_tag("en"), Some(Lang::En));
        assert_eq!(Lang::from_tag("fr"), None);
    }

    #[test]
    fn every_hint_can_be_written_with_the_ui_font() {
        let font = embedded_font(REGULAR_FONT);
        for lang in [Lang::En, Lang::ZhCn] {
            for captured in [false, true] {
                let hint = lang.controls_hint(captured);
                assert_eq!(missing_glyphs(&font, hint), Vec::<char>::new(), "{hint}");
            }
        }
    }
}
