//! The plaza's sound: the fountain, the city around the square, footsteps, and a cue for each
//! moment of an application — and, for every one of them, a caption ([`captions`]).
//!
//! Sound plays through Bevy's audio, which mixes with rodio on its own thread: each sound is a
//! [`Synth`] asset whose decoder is a chain of rodio sources ([`synth`]), spatial sounds are
//! Bevy's spatial players (rodio's `Spatial`: a level that falls with the square of the
//! distance beyond a sound's *reach*, and a balance between the two ears), and the listener is
//! [`Ears`], which follows the citizen's head in every mode. Bevy's audio is enough: it places
//! sources and the listener from transforms each frame, and plays any rodio source; what it
//! lacks — saying whether there is a device — [`output_exists`] asks cpal, through rodio, before
//! the app is built.
//!
//! Where the sounds stand comes from the plaza's layout ([`ambience`]): the fountain where the
//! layout puts it, birds in its trees, traffic on the avenue, people talking at each window.
//! An operator's plaza sounds right with no code.

pub mod captions;
pub mod mix;
pub mod synth;

use bevy::audio::{
    AddAudioSource, AudioPlayer, AudioSink, AudioSinkPlayback, Decodable, PlaybackSettings,
    SpatialAudioSink, SpatialListener, SpatialScale, Volume,
};
use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppSystems;
use crate::citizen::Citizen;
use crate::scene::Plaza;
use crate::scene::layout::PlazaLayout;
use crate::settings::SettingsStore;
use crate::xr::interaction::Head;

/// A moment the citizen hears (and, with captions on, reads).
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cue {
    /// The pointer came onto something on a panel that can be pressed.
    Hover,
    /// Something on a panel was pressed.
    Press,
    /// A key of the panel's own keyboard was pressed.
    Key,
    /// The form has something to mend, or the session could not do what was asked.
    Error,
    /// An application was signed and is on its way.
    Queued,
    /// An application was recorded on the ledger.
    Recorded,
    /// An application was approved.
    Approved,
    /// An application was rejected.
    Rejected,
    /// An application was referred to an officer.
    Referred,
    /// The kiosk's visit is about to end for want of a touch.
    Countdown,
}

impl Cue {
    /// Every cue.
    pub const ALL: [Cue; 10] = [
        Cue::Hover,
        Cue::Press,
        Cue::Key,
        Cue::Error,
        Cue::Queued,
        Cue::Recorded,
        Cue::Approved,
        Cue::Rejected,
        Cue::Referred,
        Cue::Countdown,
    ];

    /// The cue for a department's outcome.
    pub fn of(outcome: agora_services::Outcome) -> Self {
        match outcome {
            agora_services::Outcome::Approve => Cue::Approved,
            agora_services::Outcome::Reject => Cue::Rejected,
            agora_services::Outcome::Refer => Cue::Referred,
        }
    }
}

/// Everything the plaza can sound like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sound {
    /// Water in the fountain's basin.
    Fountain,
    /// Cars on the avenue.
    Traffic,
    /// Birds in a tree.
    Birds,
    /// People talking at a window.
    Murmur,
    /// One of the citizen's footsteps.
    Step,
    /// A cue.
    Cue(Cue),
}

/// A sound as an asset Bevy's audio plays: what it is, and the seed that makes this one of its
/// kind a little different from the others.
#[derive(Asset, TypePath, Debug, Clone, Copy, PartialEq)]
pub struct Synth {
    /// What it sounds like.
    pub sound: Sound,
    /// Varies what is random in it.
    pub seed: u64,
}

impl Decodable for Synth {
    type Decoder = synth::Boxed;

    fn decoder(&self) -> Self::Decoder {
        synth::source(self.sound, self.seed)
    }
}

/// How loud each kind of sound is, in the citizen's settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SoundSettings {
    /// Everything, 0 (silent) to 1.
    pub volume: f32,
    /// The fountain, the city and footsteps, 0 to 1.
    pub ambience: f32,
    /// The panels' and the application's cues, 0 to 1.
    pub cues: f32,
    /// No sound at all (captions still show).
    pub muted: bool,
    /// Captions for every sound: `None` is the mode's default (on at a kiosk, off elsewhere).
    pub captions: Option<bool>,
    /// How large captions are, 1 (100 %) to 2 (200 %); `None` follows the text size.
    pub caption_size: Option<f32>,
}

impl Default for SoundSettings {
    fn default() -> Self {
        Self {
            volume: 0.8,
            ambience: 0.7,
            cues: 0.8,
            muted: false,
            captions: None,
            caption_size: None,
        }
    }
}

impl SoundSettings {
    /// What is wrong with these settings, if anything.
    pub fn check(&self) -> Result<(), String> {
        for (name, level) in [
            ("volume", self.volume),
            ("ambience", self.ambience),
            ("cues", self.cues),
        ] {
            if !(0.0..=1.0).contains(&level) {
                return Err(format!("{name} is {level}; use between 0 and 1"));
            }
        }
        if let Some(size) = self.caption_size
            && !(1.0..=2.0).contains(&size)
        {
            return Err(format!(
                "caption_size is {size}; use between 1 (100 %) and 2 (200 %)"
            ));
        }
        Ok(())
    }

    /// The level a sound of `kind` plays at, before its own level and its distance.
    pub fn level(&self, kind: Kind) -> f32 {
        if self.muted {
            return 0.0;
        }
        self.volume
            * match kind {
                Kind::Ambience => self.ambience,
                Kind::Cue => self.cues,
            }
    }
}

/// Which volume a sound follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The fountain, the city, footsteps.
    Ambience,
    /// Cues.
    Cue,
}

/// A sound that stands in the plaza, placed from its layout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    /// What it is.
    pub sound: Sound,
    /// Where, in the plaza.
    pub at: Vec3,
    /// Up to this distance (metres) it is heard at its full level; beyond, the level falls with
    /// the square of the distance.
    pub reach: f32,
    /// Its level, 0 to 1, before the citizen's volumes.
    pub level: f32,
    /// Varies it from others of its kind.
    pub seed: u64,
}

impl Placed {
    /// How loud it is at `distance` metres, before the citizen's volumes: rodio's spatial
    /// law, as Bevy plays it with a spatial scale of `1 / reach`.
    pub fn gain_at(&self, distance: f32) -> f32 {
        let scaled = distance / self.reach;
        self.level * (1.0 / (scaled * scaled)).min(1.0)
    }
}

/// The most bird sources a plaza gets, spread over its trees.
const MOST_BIRDS: usize = 4;

/// Where the plaza's sounds stand: the fountain in its basin, birds in a few of the trees
/// (spread round the square), traffic on the avenue, and people talking at each window.
pub fn ambience(layout: &PlazaLayout) -> Vec<Placed> {
    let mut placed = Vec::new();
    if let Some(fountain) = layout.fountain {
        placed.push(Placed {
            sound: Sound::Fountain,
            at: Vec3::new(fountain.position.x, 0.8, fountain.position.z),
            reach: fountain.radius + 3.0,
            level: 0.8,
            seed: 1,
        });
    }
    let avenue = crate::scenery::avenue(layout.bounds);
    placed.push(Placed {
        sound: Sound::Traffic,
        at: Vec3::new(avenue.x, 0.5, avenue.y),
        reach: 14.0,
        level: 0.5,
        seed: 2,
    });
    let trees = crate::scenery::tree_spots(layout.bounds);
    let birds = trees.len().min(MOST_BIRDS);
    for i in 0..birds {
        let tree = trees[i * trees.len() / birds.max(1)];
        placed.push(Placed {
            sound: Sound::Birds,
            at: Vec3::new(tree.x, 4.0, tree.y),
            reach: 5.0,
            level: 0.7,
            seed: 10 + i as u64,
        });
    }
    for (i, window) in layout.windows.iter().enumerate() {
        placed.push(Placed {
            sound: Sound::Murmur,
            at: Vec3::new(window.position.x, 1.6, window.position.z),
            reach: 2.5,
            level: 0.3,
            seed: 20 + i as u64,
        });
    }
    placed
}

/// A sound of the plaza in the world.
#[derive(Component, Debug, Clone, Copy)]
pub struct Ambient(pub Placed);

/// What a playing sound's volume follows: its kind's volume times its own level.
#[derive(Component, Debug, Clone, Copy)]
pub struct Voice {
    /// Which volume.
    pub kind: Kind,
    /// Its own level.
    pub level: f32,
}

/// The listener: the citizen's head, in every mode (the desktop's and the kiosk's camera, the
/// headset's head).
#[derive(Component, Debug, Default)]
pub struct Ears;

/// How far apart the ears are, in metres.
pub const EAR_GAP: f32 = 0.18;

/// The listener Bevy's audio hears with: ears [`EAR_GAP`] apart — given to rodio the other way
/// round. rodio 0.22's `Spatial` (which Bevy 0.19's spatial players use) makes the *farther*
/// ear the louder (RustAudio/rodio#884, fixed after 0.22 by #886); with the offsets swapped, a
/// sound on the left is heard on the left. The tests mix a walk past the fountain and check
/// which side it is heard on, so an upgraded rodio that fixes it shows here.
pub fn listener() -> SpatialListener {
    SpatialListener::new(-EAR_GAP)
}

/// Whether sound plays: false with no audio device, where the plaza runs silent and captions
/// still say what would be heard.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audible(pub bool);

/// The sounds ready to play: one asset per cue, a few footsteps to vary between.
#[derive(Resource, Debug, Clone)]
struct Bank {
    cues: Vec<(Cue, Handle<Synth>)>,
    steps: Vec<Handle<Synth>>,
}

/// How far a citizen goes in one step, in metres.
const STRIDE: f32 = 0.75;

/// Whether this machine has a default audio output, asked before the app is built (so that,
/// without one, Bevy's audio plugin is left out and the plaza runs silent).
pub fn output_exists() -> bool {
    use rodio::DeviceTrait as _;
    use rodio::cpal::traits::HostTrait as _;
    // ALSA names a "default" device even with no sound card; only opening it tells.
    rodio::cpal::default_host()
        .default_output_device()
        .is_some_and(|device| device.default_output_config().is_ok())
}

/// What the log says, once, when there is no audio device.
pub const SILENT: &str =
    "No sound device: the plaza runs silent; captions, when on, still show what would be heard.";

/// Adds this feature to the app: sound where Bevy's audio plugin is there (see
/// [`output_exists`]), captions always. `kiosk` turns captions on by default.
pub fn plugin(kiosk: bool) -> impl Fn(&mut App) {
    move |app: &mut App| {
        let audible = app.is_plugin_added::<bevy::audio::AudioPlugin>();
        if audible {
            synth::prepare();
            app.add_audio_source::<Synth>();
        } else {
            app.init_asset::<Synth>();
        }
        app.insert_resource(Audible(audible))
            .add_message::<Cue>()
            .add_message::<Stepped>()
            .add_systems(Startup, (spawn_ears, spawn_ambience, fill_bank))
            .add_systems(
                Update,
                (
                    follow_head,
                    // A kiosk's view travels; nobody walks.
                    footsteps.run_if(not(resource_exists::<crate::kiosk::Kiosk>)),
                    (play_steps, play_cues, follow_volumes).run_if(resource_equals(Audible(true))),
                )
                    .chain()
                    .in_set(AppSystems::Present),
            )
            .add_plugins(captions::plugin(kiosk));
    }
}

fn spawn_ears(mut commands: Commands) {
    commands.spawn((Name::new("Ears"), Ears, listener(), Transform::default()));
}

fn spawn_ambience(
    mut commands: Commands,
    plaza: Res<Plaza>,
    audible: Res<Audible>,
    store: Res<SettingsStore>,
    mut synths: ResMut<Assets<Synth>>,
) {
    for placed in ambience(&plaza) {
        let mut entity = commands.spawn((
            Name::new(format!("Sound {:?}", placed.sound)),
            Ambient(placed),
            Transform::from_translation(placed.at),
        ));
        if audible.0 {
            let voice = Voice {
                kind: Kind::Ambience,
                level: placed.level,
            };
            entity.insert((
                voice,
                AudioPlayer(synths.add(Synth {
                    sound: placed.sound,
                    seed: placed.seed,
                })),
                // Once, not looped: these sounds never end, and Bevy's looping would keep every
                // sample played so far to play it again.
                PlaybackSettings::ONCE
                    .with_spatial(true)
                    .with_spatial_scale(SpatialScale::new(1.0 / placed.reach))
                    .with_volume(volume(voice, &store)),
            ));
        }
    }
}

fn volume(voice: Voice, store: &SettingsStore) -> Volume {
    Volume::Linear(voice.level * store.settings.sound.level(voice.kind))
}

fn fill_bank(mut commands: Commands, mut synths: ResMut<Assets<Synth>>) {
    let cues = Cue::ALL
        .iter()
        .map(|&cue| {
            (
                cue,
                synths.add(Synth {
                    sound: Sound::Cue(cue),
                    seed: 0,
                }),
            )
        })
        .collect();
    let steps = synth::STEP_SEEDS
        .map(|seed| {
            synths.add(Synth {
                sound: Sound::Step,
                seed,
            })
        })
        .collect();
    commands.insert_resource(Bank { cues, steps });
}

/// Puts the ears where the citizen's head is: the headset's head when there is one, the
/// citizen's camera otherwise.
pub fn follow_head(
    heads: Query<&GlobalTransform, With<Head>>,
    eyes: Query<&GlobalTransform, With<Citizen>>,
    mut ears: Query<&mut Transform, With<Ears>>,
) {
    let Some(head) = heads.iter().next().or_else(|| eyes.iter().next()) else {
        return;
    };
    let head = head.compute_transform();
    for mut ears in &mut ears {
        ears.set_if_neq(head);
    }
}

/// One stride of the citizen's walk (or glide).
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stepped {
    /// The first step after standing still.
    pub first: bool,
    /// Steps since the app started, to vary their sound.
    pub count: usize,
}

/// A step each stride while the citizen walks or glides; none for a teleport's jump or a
/// kiosk's view travelling to a booth (too fast for feet).
pub fn footsteps(
    mut last: Local<Option<Vec2>>,
    mut walked: Local<f32>,
    mut still: Local<f32>,
    mut count: Local<usize>,
    ears: Query<&Transform, With<Ears>>,
    mut steps: MessageWriter<Stepped>,
    time: Res<Time>,
) {
    let Ok(ears) = ears.single() else {
        return;
    };
    let here = ears.translation.xz();
    let moved = here.distance(last.unwrap_or(here));
    *last = Some(here);
    let speed = moved / time.delta_secs().max(1e-4);
    if moved > 0.0 && (0.3..7.0).contains(&speed) {
        *walked += moved;
    } else {
        *walked = 0.0;
        *still += time.delta_secs();
    }
    if *walked >= STRIDE {
        *walked -= STRIDE;
        let first = *count == 0 || *still >= 1.0;
        *count += 1;
        steps.write(Stepped {
            first,
            count: *count,
        });
        *still = 0.0;
    }
}

fn play_steps(
    mut steps: MessageReader<Stepped>,
    mut commands: Commands,
    bank: Res<Bank>,
    store: Res<SettingsStore>,
) {
    for step in steps.read() {
        let voice = Voice {
            kind: Kind::Ambience,
            level: 0.5,
        };
        commands.spawn((
            voice,
            AudioPlayer(bank.steps[step.count % bank.steps.len()].clone()),
            PlaybackSettings::DESPAWN.with_volume(volume(voice, &store)),
        ));
    }
}

/// Plays each cue the plaza sends.
fn play_cues(
    mut cues: MessageReader<Cue>,
    mut commands: Commands,
    bank: Res<Bank>,
    store: Res<SettingsStore>,
) {
    for cue in cues.read() {
        let Some((_, sound)) = bank.cues.iter().find(|(c, _)| c == cue) else {
            continue;
        };
        let voice = Voice {
            kind: Kind::Cue,
            level: 1.0,
        };
        commands.spawn((
            voice,
            AudioPlayer(sound.clone()),
            PlaybackSettings::DESPAWN.with_volume(volume(voice, &store)),
        ));
    }
}

/// Changes in the settings' volumes reach what is already playing.
fn follow_volumes(
    store: Res<SettingsStore>,
    mut sinks: Query<(&Voice, &mut AudioSink)>,
    mut spatial: Query<(&Voice, &mut SpatialAudioSink)>,
) {
    if !store.is_changed() {
        return;
    }
    for (voice, mut sink) in &mut sinks {
        sink.set_volume(volume(*voice, &store));
    }
    for (voice, mut sink) in &mut spatial {
        sink.set_volume(volume(*voice, &store));
    }
}
