//! The two languages Agora speaks (English and Simplified Chinese), and text written in both.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A language a citizen reads Agora in. Its JSON form is its BCP 47 tag: `"en"` or `"zh-CN"`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub enum Lang {
    /// English.
    #[default]
    #[serde(rename = "en")]
    En,
    /// Simplified Chinese, as written in mainland China.
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Lang {
    /// Every language, English first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The BCP 47 tag: `en` or `zh-CN`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// A language tag that is neither `en` nor `zh-CN`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{0}` is not a language Agora speaks: use `en` or `zh-CN`")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    /// Reads `en` or `zh-CN`, in any letter case (BCP 47 tags are case-insensitive).
    fn from_str(tag: &str) -> Result<Self, Self::Err> {
        if tag.eq_ignore_ascii_case("en") {
            Ok(Lang::En)
        } else if tag.eq_ignore_ascii_case("zh-CN") {
            Ok(Lang::ZhCn)
        } else {
            Err(UnknownLang(tag.chars().take(40).collect()))
        }
    }
}

/// Text in both languages: `{"en": "Parking permit", "zh-CN": "停车许可证"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// The English text.
    pub en: String,
    /// The Simplified Chinese text.
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
}

impl Text {
    /// Text from its English and Chinese versions.
    pub fn new(en: impl Into<String>, zh_cn: impl Into<String>) -> Self {
        Self {
            en: en.into(),
            zh_cn: zh_cn.into(),
        }
    }

    /// The same words in both languages, for things that are not translated (numbers, codes).
    pub fn same(text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            en: text.clone(),
            zh_cn: text,
        }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::ZhCn => &self.zh_cn,
        }
    }
}
