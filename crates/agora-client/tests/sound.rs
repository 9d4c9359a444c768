//! The plaza's sound and captions: a cue is played and captioned in the interface's language,
//! captions off shows none, a walk toward the fountain mixed offline grows louder from the
//! fountain's side, and with no audio device everything but the sound still works.

use agora_client::lang::Lang;
use agora_client::scene::layout::PlazaLayout;
use agora_client::sound::captions::{CaptionLine, Captions, Heard, Side, text};
use agora_client::sound::{Audible, Cue, Ears, Sound, Synth, Voice, ambience, mix};
use bevy::audio::AudioPlayer;
use bevy::prelude::*;

use crate::shipped_plaza;

/// The desktop plaza with Bevy's audio in it (a machine without a device, like CI's, has no
/// output to play on, but the plaza asks to play all the same).
fn plaza_with_audio(home: &std::path::Path, lang: Lang) -> App {
    crate::plaza_on(
        agora_client::headless_plugins().enable::<bevy::audio::AudioPlugin>(),
        home,
        lang,
    )
}

fn caption_lines(app: &mut App) -> Vec<String> {
    let mut lines = app
        .world_mut()
        .query_filtered::<&Children, With<CaptionLine>>();
    let children: Vec<Entity> = lines
        .iter(app.world())
        .flat_map(|children| children.iter())
        .collect();
    children
        .into_iter()
        .filter_map(|child| app.world().get::<Text>(child).map(|text| text.0.clone()))
        .collect()
}

fn playing(app: &mut App, sound: Sound) -> usize {
    let mut players = app.world_mut().query::<(&AudioPlayer<Synth>, &Voice)>();
    let handles: Vec<_> = players
        .iter(app.world())
        .map(|(player, _)| player.0.clone())
        .collect();
    let synths = app.world().resource::<Assets<Synth>>();
    handles
        .iter()
        .filter(|handle| synths.get(*handle).is_some_and(|s| s.sound == sound))
        .count()
}

#[test]
fn a_cue_plays_and_is_captioned_in_the_interface_s_language_and_captions_off_show_none() {
    let home = tempfile::tempdir().expect("a temporary directory");
    let mut app = plaza_with_audio(home.path(), Lang::ZhCn);
    app.update();
    assert_eq!(*app.world().resource::<Audible>(), Audible(true));
    assert!(
        caption_lines(&mut app).is_empty(),
        "captions are off by default on the desktop"
    );

    // Captions on, as the Settings tab puts them.
    {
        let mut store = app
            .world_mut()
            .resource_mut::<agora_client::settings::SettingsStore>();
        let mut settings = store.settings;
        settings.sound.captions = Some(true);
        store.change(settings);
    }
    app.update();
    // The sounds of the plaza heard from where the citizen arrives are captioned, with their
    // side: the fountain ahead.
    let lines = caption_lines(&mut app);
    assert!(
        lines.iter().any(|l| l == "↑ [水池喷泉声，前方]"),
        "{lines:?}"
    );
    app.world_mut().write_message(Cue::Approved);
    app.update();
    app.update();
    assert_eq!(playing(&mut app, Sound::Cue(Cue::Approved)), 1);
    let lines = caption_lines(&mut app);
    assert!(
        lines.contains(&"[明亮上扬的钟声：申请已批准]".to_owned()),
        "the Chinese interface captions in Chinese: {lines:?}"
    );
    assert!(lines.len() <= agora_client::sound::captions::MOST_LINES);

    // The language switched: the captions on show change with it.
    *app.world_mut().resource_mut::<Lang>() = Lang::En;
    app.update();
    let lines = caption_lines(&mut app);
    assert!(
        lines.contains(&"[Bright rising chimes: application approved]".to_owned()),
        "{lines:?}"
    );

    // Captions off: the cue still plays, and no caption shows.
    {
        let mut store = app
            .world_mut()
            .resource_mut::<agora_client::settings::SettingsStore>();
        let mut settings = store.settings;
        settings.sound.captions = Some(false);
        store.change(settings);
    }
    app.world_mut().write_message(Cue::Rejected);
    app.update();
    app.update();
    assert_eq!(playing(&mut app, Sound::Cue(Cue::Rejected)), 1);
    assert_eq!(caption_lines(&mut app), Vec::<String>::new());
    assert!(
        app.world()
            .resource::<Captions>()
            .lines
            .iter()
            .any(|line| line.heard == Heard::Cue(Cue::Rejected)),
        "the caption is kept, only not shown, so turning captions on shows what was just heard"
    );
}

#[test]
fn with_no_audio_device_the_plaza_is_silent_and_still_captions() {
    let home = tempfile::tempdir().expect("a temporary directory");
    // Bevy's audio is left out, as `agora` leaves it out when there is no device.
    let mut app = crate::desktop_plaza(home.path(), Lang::En);
    {
        let mut store = app
            .world_mut()
            .resource_mut::<agora_client::settings::SettingsStore>();
        let mut settings = store.settings;
        settings.sound.captions = Some(true);
        store.change(settings);
    }
    app.update();
    assert_eq!(*app.world().resource::<Audible>(), Audible(false));
    app.world_mut().write_message(Cue::Queued);
    app.update();
    let mut players = app.world_mut().query::<&AudioPlayer<Synth>>();
    assert_eq!(
        players.iter(app.world()).count(),
        0,
        "nothing waits to play"
    );
    let lines = caption_lines(&mut app);
    assert!(
        lines.contains(&"[Chime: application sent]".to_owned()),
        "{lines:?}"
    );
}

/// The shipped plaza's fountain, alone.
fn fountain() -> agora_client::sound::Placed {
    let layout = PlazaLayout::load(&shipped_plaza()).expect("the shipped plaza");
    ambience(&layout)
        .into_iter()
        .find(|placed| placed.sound == Sound::Fountain)
        .expect("the shipped plaza has a fountain")
}

/// A citizen walking north (looking north) along `x` from z = 16 to z = 1 over eight seconds.
fn walk_north(x: f32) -> impl Fn(f32) -> Transform + Clone + Send + 'static {
    move |t: f32| {
        let z = 16.0 - 15.0 * (t / 8.0).min(1.0);
        Transform::from_xyz(x, 1.65, z)
    }
}

#[test]
fn walking_toward_the_fountain_it_grows_louder_from_its_side() {
    let fountain = fountain();
    for (x, louder) in [(4.0, 0usize), (-4.0, 1usize)] {
        let frames = mix::render(&[fountain], 1.0, walk_north(x), 8.0);
        let second = agora_client::sound::synth::RATE.get() as usize;
        let levels: Vec<[f32; 2]> = frames.chunks(second).map(mix::loudness).collect();
        assert_eq!(levels.len(), 8);
        let total: Vec<f32> = levels.iter().map(|[l, r]| l + r).collect();
        // Louder second by second, up to where it is heard at its full level (within its
        // reach); the water's own swell moves each second's level by a few per cent.
        for pair in total.windows(2) {
            assert!(
                pair[1] > pair[0] * 0.85,
                "walking at x = {x}, the fountain grows louder second by second: {total:?}"
            );
        }
        assert!(
            total[..4].windows(2).all(|pair| pair[1] > pair[0]),
            "while still far off, every second is louder than the last: {total:?}"
        );
        assert!(
            total[7] > total[0] * 4.0,
            "much louder beside it than 16 m away: {total:?}"
        );
        let quieter = 1 - louder;
        for (i, level) in levels.iter().enumerate() {
            assert!(
                level[louder] > level[quieter],
                "at x = {x}, second {i}: the fountain is on the {} side: {level:?}",
                if louder == 0 { "left" } else { "right" }
            );
        }
        let balance = |level: &[f32; 2]| level[louder] / level[quieter];
        assert!(
            balance(&levels[7]) > balance(&levels[0]) && balance(&levels[7]) > 1.4,
            "beside the fountain it is well to one side, far off nearly ahead: {levels:?}"
        );
        // The caption says the same.
        let start = walk_north(x)(0.0);
        let end = walk_north(x)(8.0);
        let (first, last) = if x > 0.0 {
            (Side::AheadLeft, Side::Left)
        } else {
            (Side::AheadRight, Side::Right)
        };
        // Far off, the fountain is a little to one side of ahead: captioned as ahead.
        assert_eq!(Side::of(&start, fountain.at), Side::Ahead);
        assert_eq!(
            Side::of(&Transform::from_xyz(x, 1.65, 4.0), fountain.at),
            first
        );
        assert_eq!(Side::of(&end, fountain.at), last);
    }
    let caption = agora_client::sound::captions::Caption {
        heard: Heard::Near(Sound::Fountain),
        from: Some(fountain.at),
        until: 0.0,
    };
    let beside = Transform::from_xyz(3.0, 1.65, 3.0);
    assert_eq!(
        text(&caption, &beside, Lang::En),
        "↖ [Fountain, ahead left]"
    );
    assert_eq!(
        text(&caption, &beside, Lang::ZhCn),
        "↖ [水池喷泉声，左前方]"
    );
}

#[test]
fn the_whole_plaza_mixed_along_a_walk_is_heard_and_never_clips() {
    let layout = PlazaLayout::load(&shipped_plaza()).expect("the shipped plaza");
    let placed = ambience(&layout);
    let settings = agora_client::sound::SoundSettings::default();
    let level = settings.level(agora_client::sound::Kind::Ambience);
    let frames = mix::render(&placed, level, walk_north(4.0), 8.0);
    let [left, right] = mix::loudness(&frames);
    let peak = frames
        .iter()
        .flatten()
        .fold(0.0f32, |peak, sample| peak.max(sample.abs()));
    assert!(left > 0.01 && right > 0.01, "heard: {left} {right}");
    assert!(peak < 1.0, "no sample clips: peak {peak}");

    let dir = tempfile::tempdir().expect("a temporary directory");
    let wav = dir.path().join("walk.wav");
    mix::write_wav(&frames, &wav).expect("written");
    let reader = hound::WavReader::open(&wav).expect("a WAV file");
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.sample_rate), (2, 44_100));
    assert_eq!(reader.len() as usize, frames.len() * 2);
    // Kept to listen to, when asked.
    if let Ok(keep) = std::env::var("AGORA_KEEP_WAV") {
        std::fs::copy(&wav, keep).expect("kept");
    }
}

#[test]
fn the_ears_follow_the_citizen_s_eyes() {
    let home = tempfile::tempdir().expect("a temporary directory");
    let mut app = crate::desktop_plaza(home.path(), Lang::En);
    app.update();
    app.update();
    let mut eyes = app
        .world_mut()
        .query_filtered::<&Transform, With<agora_client::citizen::Citizen>>();
    let eyes = *eyes.single(app.world()).expect("the citizen");
    let mut ears = app.world_mut().query_filtered::<&Transform, With<Ears>>();
    let ears = *ears.single(app.world()).expect("the ears");
    assert!(ears.translation.distance(eyes.translation) < 1e-4);
    assert!(ears.rotation.angle_between(eyes.rotation) < 1e-4);
}

#[test]
fn in_a_headset_the_captions_hang_from_the_head() {
    use agora_client::sound::captions::{HEADSET_BAND_AT, HeadsetCaptions};
    use agora_client::xr::interaction::{Head, Rig};
    let home = tempfile::tempdir().expect("a temporary directory");
    let mut app = crate::desktop_plaza(home.path(), Lang::ZhCn);
    {
        let mut store = app
            .world_mut()
            .resource_mut::<agora_client::settings::SettingsStore>();
        let mut settings = store.settings;
        settings.sound.captions = Some(true);
        store.change(settings);
    }
    let rig = app
        .world_mut()
        .spawn((Rig, Transform::from_xyz(0.0, 0.0, 16.0)))
        .id();
    let head = app
        .world_mut()
        .spawn((Head, Transform::from_xyz(0.0, 1.65, 0.0), ChildOf(rig)))
        .id();
    app.update();
    app.update();
    app.world_mut().write_message(Cue::Referred);
    app.update();
    app.update();
    let mut bands = app.world_mut().query_filtered::<(
        &ChildOf,
        &Transform,
        &Visibility,
        &MeshMaterial3d<StandardMaterial>,
    ), With<HeadsetCaptions>>();
    let (parent, at, visibility, material) = bands.single(app.world()).expect("one band");
    assert_eq!(parent.parent(), head, "locked to the head");
    assert_eq!(at.translation, HEADSET_BAND_AT);
    assert!(
        at.translation.y < 0.0 && at.translation.z < 0.0,
        "ahead and below the middle of the view"
    );
    assert_eq!(*visibility, Visibility::Inherited);
    let texture = app
        .world()
        .resource::<Assets<StandardMaterial>>()
        .get(&material.0)
        .and_then(|m| m.base_color_texture.clone())
        .expect("a texture");
    let image = app
        .world()
        .resource::<Assets<Image>>()
        .get(&texture)
        .expect("drawn");
    let opaque = image
        .data
        .as_ref()
        .expect("pixels")
        .chunks(4)
        .filter(|p| p[3] == 255)
        .count();
    assert!(opaque > 1000, "strips are drawn: {opaque} opaque pixels");
    // The ears are the head's, not the desktop camera's.
    let mut ears = app.world_mut().query_filtered::<&Transform, With<Ears>>();
    let ears = ears.single(app.world()).expect("the ears");
    assert!(
        ears.translation.distance(Vec3::new(0.0, 1.65, 16.0)) < 1e-3,
        "{ears:?}"
    );
}
