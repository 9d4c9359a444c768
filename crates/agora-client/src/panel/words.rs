//! The panel's own words, in English and Chinese, from the client's Fluent files. What a
//! service says (titles, fields, reasons) comes from its catalog; these are the words around it.

use crate::lang::Lang;

words!(
    /// Every fixed phrase a panel shows: the messages `panel-*` of the client's Fluent files.
    Words,
    "panel",
    [
        apply_tab,
        mine_tab,
        required,
        optional,
        yes,
        no,
        latitude,
        longitude,
        date_hint,
        how_decided,
        fill_in_to_see,
        to_review,
        fix_marked,
        review_title,
        review_intro,
        not_answered,
        signed_as,
        new_identity_signer,
        policy,
        change_answers,
        continue_to_sign,
        sign_title,
        enter_pin,
        pin,
        pin_again,
        first_time,
        pin_rules,
        pins_differ,
        pin_too_short,
        sign_and_submit,
        create_and_sign,
        back,
        working_identity,
        working_sign,
        opening,
        sent_title,
        queued_words,
        anchored_words,
        failed_words,
        save_receipt,
        saved_to,
        verify_hint,
        demo_decision,
        decided_by_officer,
        new_application,
        nothing_yet,
        try_again,
        problem,
        last_attempt,
        identity,
        no_identity,
        closed,
        comfort_tab,
        settings_tab,
        settings_intro,
        settings_intro_visit,
        language,
        contrast,
        contrast_standard,
        contrast_high,
        text_size,
        motion,
        motion_full,
        motion_reduced,
        sound_title,
        sound,
        sound_on,
        sound_off,
        volume,
        ambience_volume,
        cue_volume,
        captions,
        captions_on,
        captions_off,
        caption_size,
        caption_size_text,
        comfort_intro,
        snap_turn,
        moving,
        teleport,
        glide,
        vignette,
        posture,
        standing,
        seated,
        seated_raise,
        leading_hand,
        left_hand,
        right_hand,
        comfort_saved,
        key_space,
        key_done,
        key_delete,
        visit_sign,
        visit_signer,
        receipt_qr,
        receipt_qr_hint,
        receipt_code,
    ]
);

/// The words for `lang`.
pub fn words(lang: Lang) -> &'static Words {
    Words::get(lang)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::textures::{REGULAR_FONT, embedded_font, missing_glyphs};

    /// Whatever a panel can show — its own words, every service's texts and every message —
    /// has glyphs in the font the panel draws with: no boxes, in either language.
    #[test]
    fn the_panel_font_writes_everything_a_panel_can_show() {
        let font = embedded_font(REGULAR_FONT);
        let mut texts = vec![
            format!("{:?}", words(Lang::En)),
            format!("{:?}", words(Lang::ZhCn)),
        ];
        texts.extend(
            agora_services::catalog::EMBEDDED_SERVICES
                .iter()
                .chain(agora_services::catalog::EMBEDDED_DEPARTMENTS.iter())
                .chain(agora_services::catalog::EMBEDDED_EXAMPLES.iter())
                .map(|(_, text)| (*text).to_owned()),
        );
        texts.push(agora_services::message::BUILTIN_EN.to_owned());
        texts.push(agora_services::message::BUILTIN_ZH_CN.to_owned());
        texts.push(crate::lang::CLIENT_EN.to_owned());
        texts.push(crate::lang::CLIENT_ZH_CN.to_owned());
        for text in &texts {
            let missing: Vec<char> = missing_glyphs(&font, text)
                .into_iter()
                .filter(|c| !c.is_whitespace())
                .collect();
            let start: String = text.chars().take(80).collect();
            assert!(missing.is_empty(), "no glyph for {missing:?} in {start}…");
        }
    }
}
