//! Every sound of the plaza, synthesised from rodio's generators, noises and filters: nothing is
//! a file, so there is nothing to ship or find at run time, and nothing is larger than the few
//! lines that describe it.
//!
//! [`source`] only *builds* a sound's chain of rodio sources (cheap: no sample is made); the
//! samples are made by the audio thread as it plays them, never on the frame.
//!
//! The cues are one family: short, soft, decaying notes of a pentatonic set around A4, so any
//! two sound well together. The three outcomes differ in more than pitch: *approved* is three
//! bright bell notes rising, *rejected* two low, muffled square notes falling, *referred* two
//! plain triangle notes at one pitch, a question left open.

use std::num::NonZero;
use std::time::Duration;

use bevy::log::warn;
use rand::rngs::SmallRng;
use rand::{RngExt as _, SeedableRng as _};
use rodio::Source;
use rodio::source::{Function, SignalGenerator, chirp, from_factory, noise};

use super::{Cue, Sound};

/// The rate every sound is made at; the mixer converts to the device's.
pub const RATE: rodio::SampleRate = NonZero::new(44_100).expect("not zero");

/// A sound as rodio plays it.
pub type Boxed = Box<dyn Source + Send>;

fn secs(seconds: f32) -> Duration {
    Duration::from_secs_f32(seconds)
}

/// Seeded dice for *when* things happen (a bird's next phrase, a splash) and how each
/// footstep differs: not for anything secret.
#[derive(Debug, Clone)]
pub struct Dice(SmallRng);

impl Dice {
    /// Dice that always roll the same for one `seed`.
    pub fn new(seed: u64) -> Self {
        Self(SmallRng::seed_from_u64(seed))
    }

    /// A number in `0..1`.
    pub fn roll(&mut self) -> f32 {
        self.0.random::<f32>()
    }

    /// A number in `low..high`.
    pub fn between(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.roll()
    }
}

/// One note: `shape` at `freq` Hz, a 4 ms attack, then a straight decay to silence over
/// `length` seconds from `level`.
fn note(freq: f32, shape: Function, length: f32, level: f32) -> impl Source + Send + 'static {
    SignalGenerator::new(RATE, freq, shape)
        .take_duration(secs(length))
        .linear_gain_ramp(secs(length), level, 0.0, true)
        .fade_in(secs(0.004))
}

/// A bell: a sine with two quieter partials that die sooner.
fn bell(freq: f32, length: f32, level: f32) -> impl Source + Send + 'static {
    note(freq, Function::Sine, length, level)
        .mix(note(freq * 2.0, Function::Sine, length * 0.5, level * 0.28))
        .mix(note(freq * 3.0, Function::Sine, length * 0.3, level * 0.1))
}

/// `second` starting `after` seconds into `first`.
fn then(
    first: impl Source + Send + 'static,
    after: f32,
    second: impl Source + Send + 'static,
) -> Boxed {
    Box::new(first.mix(second.delay(secs(after))))
}

/// A short burst of filtered noise: a tap, a footstep's scuff.
fn tap(low_pass: u32, length: f32, level: f32, seed: u64) -> impl Source + Send + 'static {
    noise::WhiteUniform::new_with_rng(RATE, rand_seeded(seed))
        .low_pass(low_pass)
        .take_duration(secs(length))
        .linear_gain_ramp(secs(length), level, 0.0, true)
}

fn rand_seeded(seed: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed)
}

/// Every cue and footstep made once, sample by sample, into memory; filled by [`prepare`].
static MADE: std::sync::OnceLock<Vec<(Sound, u64, &'static [f32])>> = std::sync::OnceLock::new();

/// The footsteps' seeds that [`prepare`] makes.
pub const STEP_SEEDS: std::ops::Range<u64> = 0..6;

/// Makes every cue and footstep once, on a thread of its own, so that playing one is reading
/// memory (a burst of cues would otherwise cost the audio thread a generator per note). Until
/// they are made, they are made as they play. About 2 MB, for the program's life.
pub fn prepare() {
    std::thread::Builder::new()
        .name("agora sounds".into())
        .spawn(|| {
            MADE.get_or_init(|| {
                let mut made = Vec::new();
                for cue in Cue::ALL {
                    made.push((Sound::Cue(cue), 0, record(chain(Sound::Cue(cue), 0))));
                }
                for seed in STEP_SEEDS {
                    made.push((Sound::Step, seed, record(chain(Sound::Step, seed))));
                }
                made
            });
        })
        .map(drop)
        .unwrap_or_else(|error| warn!("cannot make the cues ahead: {error}"));
}

fn record(source: Boxed) -> &'static [f32] {
    Box::leak(source.collect::<Vec<f32>>().into_boxed_slice())
}

/// What plays `sound`: the samples [`prepare`] made for it, or else its chain of sources.
pub fn source(sound: Sound, seed: u64) -> Boxed {
    if let Some(samples) = MADE
        .get()
        .and_then(|made| made.iter().find(|(s, n, _)| *s == sound && *n == seed))
        .map(|(_, _, samples)| *samples)
    {
        return Box::new(rodio::static_buffer::StaticSamplesBuffer::new(
            NonZero::<u16>::MIN,
            RATE,
            samples,
        ));
    }
    chain(sound, seed)
}

/// The chain of sources that makes `sound`; `seed` varies what is random in it (each footstep,
/// each tree's birds), so two of one kind never sound identical.
pub fn chain(sound: Sound, seed: u64) -> Boxed {
    match sound {
        Sound::Cue(cue) => cue_source(cue),
        Sound::Step => {
            let mut dice = Dice::new(seed);
            let scuff = tap(dice.between(500.0, 900.0) as u32, 0.09, 0.35, seed);
            let thump = note(dice.between(80.0, 110.0), Function::Sine, 0.07, 0.45);
            Box::new(scuff.mix(thump))
        }
        Sound::Fountain => fountain(seed),
        Sound::Traffic => traffic(seed),
        Sound::Birds => birds(seed),
        Sound::Murmur => murmur(seed),
    }
}

fn cue_source(cue: Cue) -> Boxed {
    // A4 and its pentatonic neighbours.
    const C5: f32 = 523.25;
    const D5: f32 = 587.33;
    const E5: f32 = 659.25;
    const G5: f32 = 783.99;
    const A5: f32 = 880.0;
    match cue {
        Cue::Hover => Box::new(note(A5 * 2.0, Function::Sine, 0.03, 0.06)),
        Cue::Press => Box::new(note(A5, Function::Sine, 0.06, 0.2).mix(tap(3000, 0.015, 0.08, 7))),
        Cue::Key => Box::new(note(E5 * 2.0, Function::Triangle, 0.04, 0.14)),
        Cue::Error => then(
            note(196.0, Function::Square, 0.12, 0.12).low_pass(900),
            0.14,
            note(196.0, Function::Square, 0.16, 0.12).low_pass(900),
        ),
        Cue::Queued => Box::new(bell(D5, 0.25, 0.18)),
        Cue::Recorded => then(bell(G5 / 2.0, 0.3, 0.16), 0.12, bell(D5, 0.35, 0.16)),
        Cue::Approved => then(
            then(bell(C5, 0.45, 0.2), 0.11, bell(E5, 0.45, 0.2)),
            0.22,
            bell(G5, 0.7, 0.22),
        ),
        Cue::Rejected => then(
            note(220.0, Function::Square, 0.3, 0.13).low_pass(700),
            0.2,
            note(174.6, Function::Square, 0.45, 0.13).low_pass(700),
        ),
        Cue::Referred => then(
            note(440.0, Function::Triangle, 0.25, 0.22),
            0.28,
            note(440.0, Function::Triangle, 0.35, 0.22),
        ),
        Cue::Countdown => Box::new(note(1000.0, Function::Sine, 0.08, 0.22).mix(note(
            2000.0,
            Function::Sine,
            0.03,
            0.08,
        ))),
    }
}

/// Water falling into a basin: bright noise and a darker body, its level stirred every 40 ms
/// so it splashes rather than hisses.
fn fountain(seed: u64) -> Boxed {
    let bright = noise::WhiteUniform::new_with_rng(RATE, rand_seeded(seed))
        .high_pass(600)
        .low_pass(7000)
        .amplify(0.12);
    let body = noise::Pink::new_with_rng(RATE, rand_seeded(seed + 1))
        .low_pass(1200)
        .amplify(0.3);
    let mut dice = Dice::new(seed);
    let mut level = 1.0f32;
    Box::new(
        bright
            .mix(body)
            .amplify(1.0)
            .periodic_access(secs(0.04), move |water| {
                level = (level * 0.8 + dice.between(0.6, 1.3) * 0.2).clamp(0.6, 1.3);
                water.set_factor(level);
            }),
    )
}

/// The avenue: a low rumble that swells and ebbs as cars pass, every few seconds.
fn traffic(seed: u64) -> Boxed {
    let rumble = noise::Brownian::new_with_rng(RATE, rand_seeded(seed))
        .low_pass(320)
        .amplify(0.5);
    let mut dice = Dice::new(seed);
    let (mut level, mut aim) = (0.5f32, 0.8f32);
    Box::new(rumble.amplify(0.5).periodic_access(secs(0.05), move |car| {
        if (level - aim).abs() < 0.02 {
            aim = dice.between(0.3, 1.0);
        }
        level += (aim - level) * 0.03;
        car.set_factor(level);
    }))
}

/// People talking, far enough away not to be words: a band of noise whose level moves like
/// syllables.
fn murmur(seed: u64) -> Boxed {
    let voices = noise::Pink::new_with_rng(RATE, rand_seeded(seed))
        .high_pass(300)
        .low_pass(1100)
        .amplify(0.35);
    let mut dice = Dice::new(seed);
    let mut level = 0.5f32;
    Box::new(
        voices
            .amplify(0.5)
            .periodic_access(secs(0.06), move |talk| {
                level = (level * 0.6 + dice.between(0.2, 1.0) * 0.4).clamp(0.2, 1.0);
                talk.set_factor(level);
            }),
    )
}

/// A tree's birds: a phrase of two to five quick rising chirps, then quiet for two to seven
/// seconds, for ever.
fn birds(seed: u64) -> Boxed {
    let mut dice = Dice::new(seed);
    Box::new(from_factory(move || {
        let pitch = dice.between(2600.0, 3800.0);
        let chirps = 2 + (dice.roll() * 4.0) as usize;
        let mut phrase: Boxed =
            Box::new(rodio::source::Zero::new(NonZero::<u16>::MIN, RATE).take_duration(secs(0.01)));
        let mut at = 0.0;
        for _ in 0..chirps {
            let length = dice.between(0.05, 0.09);
            let up = dice.between(1.15, 1.45);
            let one = chirp(RATE, pitch, pitch * up, secs(length)).linear_gain_ramp(
                secs(length),
                0.14,
                0.02,
                true,
            );
            phrase = Box::new(phrase.mix(one.delay(secs(at))));
            at += length + dice.between(0.03, 0.08);
        }
        let quiet = dice.between(2.0, 7.0);
        Some(phrase.delay(secs(quiet)))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(cue: Cue) -> Vec<f32> {
        chain(Sound::Cue(cue), 0).collect()
    }

    /// How many notes start in `samples`: jumps of the 10 ms level by a quarter over the last,
    /// at least 50 ms apart.
    fn onsets(samples: &[f32]) -> usize {
        let levels: Vec<f32> = samples
            .chunks(441)
            .map(|c| (c.iter().map(|s| s * s).sum::<f32>() / c.len() as f32).sqrt())
            .collect();
        let loudest = levels.iter().copied().fold(0.0, f32::max);
        let (mut count, mut since) = (0, usize::MAX);
        let mut before = 0.0;
        for level in levels {
            since = since.saturating_add(1);
            if level > 0.2 * loudest && level > 1.25 * before && since > 5 {
                count += 1;
                since = 0;
            }
            before = level;
        }
        count
    }

    /// How bright a sound is: the share of its energy in its changes from sample to sample.
    fn brightness(samples: &[f32]) -> f32 {
        let energy: f32 = samples.iter().map(|s| s * s).sum();
        let changes: f32 = samples.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
        changes / energy.max(1e-9)
    }

    #[test]
    fn cues_are_short_soft_and_the_outcomes_differ_in_more_than_pitch() {
        for cue in Cue::ALL {
            let s = samples(cue);
            let seconds = s.len() as f32 / RATE.get() as f32;
            let peak = s.iter().fold(0.0f32, |p, x| p.max(x.abs()));
            assert!(seconds > 0.02 && seconds < 1.5, "{cue:?} lasts {seconds} s");
            assert!(peak > 0.03 && peak < 0.6, "{cue:?} peaks at {peak}");
        }
        let (approved, rejected, referred) = (
            samples(Cue::Approved),
            samples(Cue::Rejected),
            samples(Cue::Referred),
        );
        assert_eq!(onsets(&approved), 3, "approved: three notes");
        assert_eq!(onsets(&rejected), 2, "rejected: two notes");
        assert_eq!(onsets(&referred), 2, "referred: two notes");
        assert!(
            brightness(&approved) > 3.0 * brightness(&rejected),
            "approved rings bright, rejected is muffled: {} against {}",
            brightness(&approved),
            brightness(&rejected)
        );
    }

    #[test]
    fn a_prepared_cue_is_the_same_sound_as_its_chain() {
        prepare();
        let start = std::time::Instant::now();
        while MADE.get().is_none() && start.elapsed().as_secs() < 60 {
            std::thread::sleep(Duration::from_millis(10));
        }
        let made: Vec<f32> = source(Sound::Cue(Cue::Recorded), 0).collect();
        assert_eq!(made, samples(Cue::Recorded));
        let step: Vec<f32> = source(Sound::Step, 3).collect();
        assert_eq!(step, chain(Sound::Step, 3).collect::<Vec<f32>>());
    }
}
