//! Mixing offline: the plaza's sounds as a listener moving along a path would hear them, made
//! without an audio device by rodio's own mixer and spatial source, placed and scaled exactly as
//! Bevy's spatial players place them. The tests listen to a walk with it; a person can too
//! (`write_wav`).

use std::path::Path;

use bevy::prelude::*;
use rodio::Source;
use rodio::source::Spatial;

use super::{Placed, listener, synth};

/// How often the listener's pose is brought up to date while mixing, as Bevy does each frame.
const POSE_EVERY: f32 = 1.0 / 60.0;

/// Where rodio is told the ears are for a listener at `head`, as Bevy puts them for
/// [`listener`] (the other way round: see there).
pub fn ears(head: &Transform) -> (Vec3, Vec3) {
    let listener = listener();
    (
        head.transform_point(listener.left_ear_offset),
        head.transform_point(listener.right_ear_offset),
    )
}

/// Adds the sounds `placed`, each at `level` times its own, to `mixer`, as heard by a listener
/// whose head is at `path(t)` at `t` seconds of the mix.
pub fn add(
    mixer: &rodio::mixer::Mixer,
    placed: &[Placed],
    level: f32,
    path: impl Fn(f32) -> Transform + Clone + Send + 'static,
) {
    for placed in placed {
        let scale = 1.0 / placed.reach;
        let start = ears(&path(0.0));
        let path = path.clone();
        let at = placed.at * scale;
        let mut t = 0.0;
        let spatial = Spatial::new(
            synth::source(placed.sound, placed.seed),
            at.into(),
            (start.0 * scale).into(),
            (start.1 * scale).into(),
        )
        .periodic_access(
            std::time::Duration::from_secs_f32(POSE_EVERY),
            move |sound| {
                t += POSE_EVERY;
                let (left, right) = ears(&path(t));
                sound.set_positions(at.into(), (left * scale).into(), (right * scale).into());
            },
        )
        .amplify(placed.level * level);
        mixer.add(spatial);
    }
}

/// A stereo mixer at the plaza's rate, as a device's would be.
pub fn mixer() -> (rodio::mixer::Mixer, rodio::mixer::MixerSource) {
    rodio::mixer::mixer(std::num::NonZero::new(2).expect("two"), synth::RATE)
}

/// The sounds `placed`, each at `level` times its own, heard over `seconds` by a listener whose
/// head is at `path(t)` at time `t`: stereo frames, left then right.
pub fn render(
    placed: &[Placed],
    level: f32,
    path: impl Fn(f32) -> Transform + Clone + Send + 'static,
    seconds: f32,
) -> Vec<[f32; 2]> {
    let (mixer, mut out) = mixer();
    add(&mixer, placed, level, path);
    let frames = (seconds * synth::RATE.get() as f32) as usize;
    (0..frames)
        .map(|_| {
            let left = out.next().unwrap_or(0.0);
            let right = out.next().unwrap_or(0.0);
            [left, right]
        })
        .collect()
}

/// Root-mean-square level of each channel over `frames`.
pub fn loudness(frames: &[[f32; 2]]) -> [f32; 2] {
    let n = frames.len().max(1) as f32;
    let [l, r] = frames
        .iter()
        .fold([0.0f32; 2], |[l, r], [a, b]| [l + a * a, r + b * b]);
    [(l / n).sqrt(), (r / n).sqrt()]
}

/// Writes stereo `frames` to a 32-bit float WAV file at `path`.
pub fn write_wav(frames: &[[f32; 2]], path: &Path) -> anyhow::Result<()> {
    let buffer = rodio::buffer::SamplesBuffer::new(
        std::num::NonZero::new(2).expect("two"),
        synth::RATE,
        frames.as_flattened().to_vec(),
    );
    rodio::wav_to_file(buffer, path)
        .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", path.display()))
}
