//! The panel's own words, in English and Chinese. What a service says (titles, fields,
//! reasons) comes from its catalog; these are the words around it.

use crate::lang::Lang;

/// Every fixed phrase a panel shows.
#[derive(Debug)]
pub struct Words {
    pub apply_tab: &'static str,
    pub mine_tab: &'static str,
    pub required: &'static str,
    pub optional: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub latitude: &'static str,
    pub longitude: &'static str,
    pub date_hint: &'static str,
    pub how_decided: &'static str,
    pub fill_in_to_see: &'static str,
    pub to_review: &'static str,
    pub fix_marked: &'static str,
    pub review_title: &'static str,
    pub review_intro: &'static str,
    pub not_answered: &'static str,
    pub signed_as: &'static str,
    pub new_identity_signer: &'static str,
    pub policy: &'static str,
    pub change_answers: &'static str,
    pub continue_to_sign: &'static str,
    pub sign_title: &'static str,
    pub enter_pin: &'static str,
    pub pin: &'static str,
    pub pin_again: &'static str,
    pub first_time: &'static str,
    pub pin_rules: &'static str,
    pub pins_differ: &'static str,
    pub pin_too_short: &'static str,
    pub sign_and_submit: &'static str,
    pub create_and_sign: &'static str,
    pub back: &'static str,
    pub working_identity: &'static str,
    pub working_sign: &'static str,
    pub opening: &'static str,
    pub sent_title: &'static str,
    pub queued_words: &'static str,
    pub anchored_words: &'static str,
    pub failed_words: &'static str,
    pub save_receipt: &'static str,
    pub saved_to: &'static str,
    pub verify_hint: &'static str,
    pub new_application: &'static str,
    pub nothing_yet: &'static str,
    pub try_again: &'static str,
    pub problem: &'static str,
    pub last_attempt: &'static str,
    pub identity: &'static str,
    pub no_identity: &'static str,
    pub closed: &'static str,
    pub comfort_tab: &'static str,
    pub comfort_intro: &'static str,
    pub snap_turn: &'static str,
    pub moving: &'static str,
    pub teleport: &'static str,
    pub glide: &'static str,
    pub vignette: &'static str,
    pub posture: &'static str,
    pub standing: &'static str,
    pub seated: &'static str,
    pub seated_raise: &'static str,
    pub leading_hand: &'static str,
    pub left_hand: &'static str,
    pub right_hand: &'static str,
    pub comfort_saved: &'static str,
}

const EN: Words = Words {
    apply_tab: "Apply",
    mine_tab: "My applications",
    comfort_tab: "Comfort",
    comfort_intro: "How you move and stand in the headset. Changes take effect at once and are kept for your next visit.",
    snap_turn: "Snap turn",
    moving: "Moving",
    teleport: "Teleport (aim an arc)",
    glide: "Glide (smooth movement)",
    vignette: "Darken the edges of the view while moving",
    posture: "Posture",
    standing: "Standing",
    seated: "Seated",
    seated_raise: "Raise the view by",
    leading_hand: "Leading hand (moves; the other turns)",
    left_hand: "Left",
    right_hand: "Right",
    comfort_saved: "Saved to",
    required: "required",
    optional: "optional",
    yes: "Yes",
    no: "No",
    latitude: "Latitude",
    longitude: "Longitude",
    date_hint: "YYYY-MM-DD",
    how_decided: "How it is decided",
    fill_in_to_see: "Fill in the form to see what the published policy will most likely decide.",
    to_review: "Review my application  →",
    fix_marked: "Some answers need attention: see the fields marked in red.",
    review_title: "Check your application",
    review_intro: "This is exactly what you will sign and send. Nothing is sent until you sign.",
    not_answered: "(not answered)",
    signed_as: "Signed as",
    new_identity_signer: "a new identity you create in the next step",
    policy: "Decided by the published policy",
    change_answers: "←  Change answers",
    continue_to_sign: "Sign and send  →",
    sign_title: "Sign with your identity",
    enter_pin: "Enter your PIN to sign this application with your key.",
    pin: "PIN",
    pin_again: "PIN again",
    first_time: "This device has no identity yet. Choose a PIN: it protects your key, which stays on this device and signs your applications.",
    pin_rules: "At least 6 characters. Five wrong tries lock the key for a while.",
    pins_differ: "The two PINs differ.",
    pin_too_short: "The PIN needs at least 6 characters.",
    sign_and_submit: "Sign and send",
    create_and_sign: "Create my identity, sign and send",
    back: "←  Back",
    working_identity: "Creating your identity…",
    working_sign: "Signing and storing your application…",
    opening: "Opening your archive…",
    sent_title: "Your application",
    queued_words: "Stored safely on this device and being delivered to the ledger. You can walk away: it keeps going.",
    anchored_words: "Recorded on the ledger. Waiting for the department's decision…",
    failed_words: "The ledger refused this application.",
    save_receipt: "Save the receipt to a file",
    saved_to: "Receipt saved to",
    verify_hint: "Anyone can check it offline with:  agora verify",
    new_application: "Start a new application",
    nothing_yet: "You have not applied for anything yet.",
    try_again: "Try again",
    problem: "Something went wrong",
    last_attempt: "Last delivery attempt",
    identity: "Your identity",
    no_identity: "none yet: one is created when you first sign",
    closed: "This service is not accepting applications at the moment.",
};

const ZH: Words = Words {
    apply_tab: "申请",
    mine_tab: "我的申请",
    comfort_tab: "舒适设置",
    comfort_intro: "在头显中移动和站立的方式。更改立即生效，并保存到下次使用。",
    snap_turn: "快速转向",
    moving: "移动方式",
    teleport: "瞬移（瞄准弧线）",
    glide: "平滑移动",
    vignette: "移动时遮暗视野边缘",
    posture: "姿势",
    standing: "站姿",
    seated: "坐姿",
    seated_raise: "视角抬高",
    leading_hand: "主手（移动；另一只手转向）",
    left_hand: "左手",
    right_hand: "右手",
    comfort_saved: "已保存到",
    required: "必填",
    optional: "选填",
    yes: "是",
    no: "否",
    latitude: "纬度",
    longitude: "经度",
    date_hint: "年-月-日，如 2026-05-04",
    how_decided: "审批规则",
    fill_in_to_see: "填写表单后，这里会显示按已公布的审批规则最可能的结果。",
    to_review: "核对我的申请  →",
    fix_marked: "部分内容需要修改：请查看标红的栏目。",
    review_title: "核对您的申请",
    review_intro: "以下就是您将签名并提交的全部内容。签名之前不会发送任何信息。",
    not_answered: "（未填写）",
    signed_as: "签名身份",
    new_identity_signer: "您将在下一步创建的新身份",
    policy: "审批依据的已公布规则",
    change_answers: "←  修改内容",
    continue_to_sign: "签名并提交  →",
    sign_title: "使用您的身份签名",
    enter_pin: "请输入 PIN 码，用您的密钥为本申请签名。",
    pin: "PIN 码",
    pin_again: "再次输入 PIN 码",
    first_time: "本设备还没有身份。请设置一个 PIN 码：它保护您的密钥，密钥只保存在本设备上，用于为您的申请签名。",
    pin_rules: "至少 6 个字符。连续输错 5 次，密钥将暂时锁定。",
    pins_differ: "两次输入的 PIN 码不一致。",
    pin_too_short: "PIN 码至少需要 6 个字符。",
    sign_and_submit: "签名并提交",
    create_and_sign: "创建身份、签名并提交",
    back: "←  返回",
    working_identity: "正在创建您的身份…",
    working_sign: "正在签名并保存您的申请…",
    opening: "正在打开您的档案…",
    sent_title: "您的申请",
    queued_words: "已安全保存在本设备上，正在发送到账本。您可以离开，发送会继续进行。",
    anchored_words: "已记录在账本上，正在等待部门的决定…",
    failed_words: "账本拒绝了这份申请。",
    save_receipt: "将回执保存为文件",
    saved_to: "回执已保存到",
    verify_hint: "任何人都可以离线核验：agora verify",
    new_application: "开始新的申请",
    nothing_yet: "您还没有提交过任何申请。",
    try_again: "重试",
    problem: "出现问题",
    last_attempt: "最近一次发送",
    identity: "您的身份",
    no_identity: "尚未创建：首次签名时创建",
    closed: "该服务目前暂停受理申请。",
};

/// The words for `lang`.
pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::ZhCn => &ZH,
    }
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
                .chain(agora_services::catalog::EMBEDDED_EXAMPLES.iter())
                .map(|(_, text)| (*text).to_owned()),
        );
        texts.push(include_str!("../../../../assets/locales/en.json").to_owned());
        texts.push(include_str!("../../../../assets/locales/zh-CN.json").to_owned());
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
