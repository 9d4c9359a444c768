//! The built-in simulated city: plausible, deterministic numbers when no real source is set.
//!
//! Every value is a pure function of the metric and the time, so two clients (or a test and a
//! screenshot) that look at the same moment see the same city. The days follow the rhythm of a
//! large city in China Standard Time (UTC+8, the zone of the shipped service catalog): two rush
//! hours on working days, later and flatter traffic at weekends, particulates that build up with
//! traffic and under the early-morning inversion, clinics busiest mid-morning, more incidents on
//! weekend nights. A small, smooth noise keeps the charts from looking drawn with a ruler.

use time::{Duration, OffsetDateTime, UtcOffset, Weekday};

use crate::config::Metric;
use crate::model::Sample;

/// The simulated city's clock: China Standard Time, which has no daylight saving.
const CITY_OFFSET_HOURS: i8 = 8;

/// The value of `metric` at `time`.
pub fn value(metric: Metric, time: OffsetDateTime) -> f64 {
    let local = time.to_offset(city_offset());
    let hour = f64::from(local.hour())
        + f64::from(local.minute()) / 60.0
        + f64::from(local.second()) / 3600.0;
    let weekend = matches!(local.weekday(), Weekday::Saturday | Weekday::Sunday);
    let days = time.unix_timestamp() as f64 / 86_400.0;
    let wobble = |scale: f64| 1.0 + scale * noise(metric, time.unix_timestamp());
    match metric {
        Metric::TrafficFlow => traffic_flow(hour, weekend) * wobble(0.06),
        Metric::TrafficSpeed => {
            let load = traffic_flow(hour, weekend) / 3200.0;
            (62.0 - 34.0 * load.min(1.0)) * wobble(0.04)
        }
        Metric::Pm25 => pm25(hour, weekend, days) * wobble(0.05),
        Metric::Aqi => aqi_from_pm25(pm25(hour, weekend, days) * wobble(0.05)),
        Metric::Incidents => {
            let night = bump(hour, 22.5, 2.5) + bump(hour, -1.5, 2.5);
            let rate =
                5.0 + 6.0 * bump(hour, 17.5, 3.0) + (if weekend { 12.0 } else { 7.0 }) * night;
            (rate * wobble(0.15)).round()
        }
        Metric::ClinicWait => {
            let open = (8.0..17.5).contains(&hour) && !weekend;
            if open {
                (14.0 + 38.0 * bump(hour, 10.0, 1.3) + 24.0 * bump(hour, 14.5, 1.2)) * wobble(0.08)
            } else {
                18.0 * wobble(0.1)
            }
        }
        Metric::PermitsInProgress => {
            // A slow weekly tide: permits pile up over the week and the office clears them.
            let week = (days / 7.0).fract();
            (430.0
                + 55.0 * (std::f64::consts::TAU * week).sin()
                + 8.0 * noise(metric, time.unix_timestamp()))
            .round()
        }
    }
}

/// `count` samples of `metric`, `every` seconds apart, the last at the most recent multiple of
/// `every` not after `end`; oldest first.
pub fn history(metric: Metric, end: OffsetDateTime, every: u32, count: usize) -> Vec<Sample> {
    let every = i64::from(every.max(1));
    let last = end.unix_timestamp().div_euclid(every) * every;
    let Ok(last) = OffsetDateTime::from_unix_timestamp(last) else {
        return Vec::new();
    };
    (0..count)
        .rev()
        .map(|back| {
            let time = last - Duration::seconds(every * back as i64);
            Sample {
                time,
                value: value(metric, time),
            }
        })
        .collect()
}

/// China's air quality index (HJ 633-2012) for a PM2.5 concentration in µg/m³, by linear
/// interpolation between the standard's breakpoints.
pub fn aqi_from_pm25(pm25: f64) -> f64 {
    const BREAKPOINTS: [(f64, f64); 8] = [
        (0.0, 0.0),
        (35.0, 50.0),
        (75.0, 100.0),
        (115.0, 150.0),
        (150.0, 200.0),
        (250.0, 300.0),
        (350.0, 400.0),
        (500.0, 500.0),
    ];
    let pm25 = pm25.max(0.0);
    for pair in BREAKPOINTS.windows(2) {
        let ((c0, i0), (c1, i1)) = (pair[0], pair[1]);
        if pm25 <= c1 {
            return (i0 + (i1 - i0) * (pm25 - c0) / (c1 - c0)).round();
        }
    }
    500.0
}

fn city_offset() -> UtcOffset {
    UtcOffset::from_hms(CITY_OFFSET_HOURS, 0, 0).unwrap_or(UtcOffset::UTC)
}

fn traffic_flow(hour: f64, weekend: bool) -> f64 {
    if weekend {
        350.0 + 1500.0 * bump(hour, 12.5, 3.5) + 1100.0 * bump(hour, 18.5, 2.0)
    } else {
        300.0
            + 2700.0 * bump(hour, 8.0, 1.1)
            + 1300.0 * bump(hour, 13.0, 3.0)
            + 2900.0 * bump(hour, 18.0, 1.4)
            + 600.0 * bump(hour, 21.5, 1.5)
    }
}

fn pm25(hour: f64, weekend: bool, days: f64) -> f64 {
    // Weather moves the baseline over days; traffic and the dawn inversion add to it.
    let weather = 38.0 + 22.0 * (std::f64::consts::TAU * days / 3.7).sin();
    let traffic = traffic_flow(hour - 1.0, weekend) / 3200.0;
    (weather + 18.0 * traffic + 14.0 * bump(hour, 5.5, 1.8)).max(4.0)
}

/// A smooth bump of height one at `centre` hours, `width` hours wide, that wraps around midnight.
fn bump(hour: f64, centre: f64, width: f64) -> f64 {
    let mut distance = (hour - centre).rem_euclid(24.0);
    if distance > 12.0 {
        distance -= 24.0;
    }
    (-0.5 * (distance / width).powi(2)).exp()
}

/// Smooth noise in [-1, 1]: values drawn per ten minutes, blended in between.
fn noise(metric: Metric, unix: i64) -> f64 {
    const STEP: i64 = 600;
    let bucket = unix.div_euclid(STEP);
    let t = unix.rem_euclid(STEP) as f64 / STEP as f64;
    let smooth = t * t * (3.0 - 2.0 * t);
    let at = |bucket: i64| {
        let seed = (metric as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ bucket as u64;
        let bits = splitmix64(seed) >> 11;
        bits as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    at(bucket) * (1.0 - smooth) + at(bucket + 1) * smooth
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_same_moment_gives_the_same_city() {
        let at = datetime!(2026-11-24 09:15 +08:00);
        for metric in Metric::ALL {
            assert_eq!(value(metric, at), value(metric, at), "{metric:?}");
            assert!(
                value(metric, at).is_finite() && value(metric, at) >= 0.0,
                "{metric:?}"
            );
        }
    }

    #[test]
    fn working_days_have_two_rush_hours() {
        // Tuesday 24 November 2026, city time.
        let flow = |h: u8| {
            value(
                Metric::TrafficFlow,
                datetime!(2026-11-24 00:00 +08:00) + Duration::hours(h.into()),
            )
        };
        assert!(
            flow(8) > 2.5 * flow(3),
            "morning {} vs night {}",
            flow(8),
            flow(3)
        );
        assert!(
            flow(18) > 2.5 * flow(3),
            "evening {} vs night {}",
            flow(18),
            flow(3)
        );
        assert!(flow(8) > flow(11) && flow(18) > flow(15));
        let speed = |h: u8| {
            value(
                Metric::TrafficSpeed,
                datetime!(2026-11-24 00:00 +08:00) + Duration::hours(h.into()),
            )
        };
        assert!(speed(18) < speed(3), "roads are slower in the rush hour");
    }

    #[test]
    fn clinics_are_busiest_in_the_morning_of_a_working_day() {
        let wait = |h: u8| {
            value(
                Metric::ClinicWait,
                datetime!(2026-11-24 00:00 +08:00) + Duration::hours(h.into()),
            )
        };
        assert!(wait(10) > wait(8) && wait(10) > wait(16) && wait(10) > wait(22));
    }

    #[test]
    fn the_aqi_follows_the_national_breakpoints() {
        for (pm25, aqi) in [
            (0.0, 0.0),
            (35.0, 50.0),
            (55.0, 75.0),
            (75.0, 100.0),
            (150.0, 200.0),
            (600.0, 500.0),
        ] {
            assert_eq!(aqi_from_pm25(pm25), aqi, "PM2.5 {pm25}");
        }
    }

    #[test]
    fn history_is_evenly_spaced_and_ends_at_the_last_step() {
        let end = datetime!(2026-11-24 09:17:31 UTC);
        let samples = history(Metric::Pm25, end, 300, 12);
        assert_eq!(samples.len(), 12);
        assert_eq!(samples[11].time, datetime!(2026-11-24 09:15 UTC));
        assert!(
            samples
                .windows(2)
                .all(|w| w[1].time - w[0].time == Duration::minutes(5))
        );
        assert_eq!(samples[11].value, value(Metric::Pm25, samples[11].time));
    }

    #[test]
    fn noise_is_small_and_smooth() {
        let base = datetime!(2026-11-24 12:00 UTC).unix_timestamp();
        for s in 0..3600 {
            let (a, b) = (
                noise(Metric::Pm25, base + s),
                noise(Metric::Pm25, base + s + 1),
            );
            assert!((-1.0..=1.0).contains(&a));
            assert!((a - b).abs() < 0.01, "jump at {s}: {a} → {b}");
        }
    }
}
