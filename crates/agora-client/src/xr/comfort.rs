//! Comfort in a headset: the citizen's settings, kept in a file, and the geometry of the two
//! default ways of moving — a teleport arc that never lands in or passes through anything, and
//! a snap turn about the citizen's own head.
//!
//! Pure functions and plain data, so that they are tested without an app or a headset.

use bevy::math::{Quat, Vec2, Vec3};
use serde::{Deserialize, Serialize};

use crate::scene::footprint::Footprint;
use crate::scene::layout::Bounds;

/// How the citizen likes to move and stand in a headset. Every field has a comfortable default,
/// so a file may name only what it changes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComfortSettings {
    /// Degrees turned by one flick of the turning stick.
    pub snap_turn_degrees: f32,
    /// Teleport by aiming an arc with the moving stick (on by default).
    pub teleport: bool,
    /// Glide with the moving stick instead of teleporting (off by default: it makes many
    /// people queasy).
    pub smooth_locomotion: bool,
    /// Gliding speed in metres per second.
    pub smooth_speed: f32,
    /// Darken the edges of the view while moving or turning.
    pub vignette: bool,
    /// Seated or standing.
    pub posture: Posture,
    /// The hand that points first and moves; the other turns.
    pub handedness: Handedness,
}

impl Default for ComfortSettings {
    fn default() -> Self {
        Self {
            snap_turn_degrees: 30.0,
            teleport: true,
            smooth_locomotion: false,
            smooth_speed: 1.6,
            vignette: true,
            posture: Posture::Standing,
            handedness: Handedness::Right,
        }
    }
}

/// Seated citizens are raised so that their eyes are where a standing citizen's would be.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Posture {
    /// The headset's own height is used as it is.
    Standing,
    /// The plaza is lowered by `raise` metres (the difference between standing and seated eye
    /// height), so counters and panels are at the right height from a chair.
    Seated {
        /// Metres added to the headset's height.
        raise: f32,
    },
}

impl Posture {
    /// Metres the citizen's view is raised above the headset's tracked height.
    pub fn raise(self) -> f32 {
        match self {
            Posture::Standing => 0.0,
            Posture::Seated { raise } => raise.clamp(0.0, 1.2),
        }
    }
}

/// Which hand leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Handedness {
    /// The right hand moves (teleport), the left turns.
    Right,
    /// The left hand moves, the right turns.
    Left,
}

impl ComfortSettings {
    /// Values a person could not mean.
    pub(crate) fn check(&self) -> Result<(), String> {
        if !(5.0..=90.0).contains(&self.snap_turn_degrees) {
            return Err(format!(
                "snap_turn_degrees is {}; use a turn between 5 and 90 degrees",
                self.snap_turn_degrees
            ));
        }
        if !(0.3..=4.0).contains(&self.smooth_speed) {
            return Err(format!(
                "smooth_speed is {} m/s; use a speed between 0.3 and 4",
                self.smooth_speed
            ));
        }
        if let Posture::Seated { raise } = self.posture
            && !(0.0..=1.2).contains(&raise)
        {
            return Err(format!(
                "posture Seated raises by {raise} m; use between 0 and 1.2"
            ));
        }
        if !self.teleport && !self.smooth_locomotion {
            return Err(
                "teleport and smooth_locomotion are both off: the citizen could not move".into(),
            );
        }
        Ok(())
    }

    /// One snap turn, in radians (positive turns left, counter-clockwise seen from above).
    pub fn snap_turn(&self) -> f32 {
        self.snap_turn_degrees.to_radians()
    }
}

/// Launch speed of the teleport arc, metres per second: about eight metres of reach on level
/// ground from a hand at chest height.
pub const ARC_SPEED: f32 = 8.5;
/// Gravity of the arc, metres per second squared.
pub const ARC_GRAVITY: f32 = 9.81;
/// Height of the volumes the arc may not pass through (booths, stands and the fountain are
/// treated as solid up to here, which is above all of them).
pub const OBSTACLE_HEIGHT: f32 = 4.0;
/// Samples along the arc, every this many seconds of flight.
const ARC_STEP: f32 = 1.0 / 60.0;
/// The shortest teleport, in metres along the ground.
const MIN_TELEPORT: f32 = 0.5;
/// The longest flight looked at.
const ARC_MAX_TIME: f32 = 2.5;

/// Where a teleport arc ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Arc {
    /// The points of the arc from the hand to where it stops.
    pub points: Vec<Vec3>,
    /// Where the citizen would land; `None` when the arc is blocked or lands nowhere allowed.
    pub landing: Option<Vec3>,
}

/// The teleport arc thrown from `origin` along `direction`, stopped by the first obstacle (a
/// footprint of `obstacles` up to [`OBSTACLE_HEIGHT`]) or by the plaza's edge, landing on the
/// ground only where a citizen of `radius` fits.
pub fn teleport_arc(
    origin: Vec3,
    direction: Vec3,
    obstacles: &[Footprint],
    bounds: Bounds,
    radius: f32,
) -> Arc {
    let velocity = direction.normalize_or_zero() * ARC_SPEED;
    let at = |t: f32| origin + velocity * t + Vec3::Y * (-0.5 * ARC_GRAVITY * t * t);
    let inside_obstacle = |p: Vec3| {
        p.y < OBSTACLE_HEIGHT
            && obstacles
                .iter()
                .any(|o| o.push_out(Vec2::new(p.x, p.z), 0.05).is_some())
    };
    let inside_plaza = |p: Vec3| p.x.abs() <= bounds.half_width && p.z.abs() <= bounds.half_depth;
    let mut points = vec![origin];
    let mut t = 0.0;
    while t < ARC_MAX_TIME {
        t += ARC_STEP;
        let previous = *points.last().expect("the arc starts at the hand");
        let mut next = at(t);
        let lands = next.y <= 0.0;
        if lands {
            // Where the segment crosses the ground.
            let fraction = previous.y / (previous.y - next.y).max(1e-6);
            next = previous.lerp(next, fraction);
            next.y = 0.0;
        }
        // Segments are a few centimetres to 15 cm long; check points along them closely
        // enough that no obstacle thinner than that slips between two checks.
        let pieces = ((next - previous).length() / 0.05).ceil().max(1.0) as usize;
        for piece in 1..=pieces {
            let p = previous.lerp(next, piece as f32 / pieces as f32);
            if inside_obstacle(p) || !inside_plaza(p) {
                // The arc is drawn up to the last point that was clear.
                points.push(previous.lerp(next, (piece - 1) as f32 / pieces as f32));
                return Arc {
                    points,
                    landing: None,
                };
            }
        }
        points.push(next);
        if lands {
            let ground = Vec2::new(next.x, next.z);
            // Landing where one stands is no teleport (an arc thrown straight up comes down
            // there).
            let moves = ground.distance(Vec2::new(origin.x, origin.z)) > MIN_TELEPORT;
            let fits = moves
                && obstacles
                    .iter()
                    .all(|o| o.push_out(ground, radius).is_none())
                && ground.x.abs() <= bounds.half_width - radius
                && ground.y.abs() <= bounds.half_depth - radius;
            return Arc {
                points,
                landing: fits.then_some(next),
            };
        }
    }
    Arc {
        points,
        landing: None,
    }
}

/// The rig's new translation and rotation after turning by `angle` radians about the vertical
/// line through `head` (the head stays where it is; the world turns around it).
pub fn turn_about(rig: (Vec3, Quat), head: Vec3, angle: f32) -> (Vec3, Quat) {
    let turn = Quat::from_rotation_y(angle);
    let pivot = Vec3::new(head.x, rig.0.y, head.z);
    (pivot + turn * (rig.0 - pivot), turn * rig.1)
}

/// The rig's new translation so that a head now at `head` stands over `landing`.
pub fn teleport_to(rig: Vec3, head: Vec3, landing: Vec3) -> Vec3 {
    rig + Vec3::new(landing.x - head.x, 0.0, landing.z - head.z)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::layout::GroundPoint;

    fn bounds() -> Bounds {
        Bounds {
            half_width: 20.0,
            half_depth: 20.0,
        }
    }

    fn booth_at(z: f32) -> Footprint {
        Footprint::rect(GroundPoint { x: 0.0, z }, [3.6, 2.4], Quat::IDENTITY)
    }

    /// A hand at chest height pointing north (−z) and 30° up.
    fn throw() -> (Vec3, Vec3) {
        let direction = Quat::from_rotation_x(30_f32.to_radians()) * Vec3::NEG_Z;
        (Vec3::new(0.0, 1.3, 0.0), direction)
    }

    #[test]
    fn an_open_arc_lands_on_the_ground_ahead() {
        let (origin, direction) = throw();
        let arc = teleport_arc(origin, direction, &[], bounds(), 0.35);
        let landing = arc.landing.expect("open ground is a landing");
        assert_eq!(landing.y, 0.0);
        assert!(landing.z < -5.0 && landing.z > -10.0, "{landing}");
        assert!(landing.x.abs() < 1e-4);
        assert_eq!(arc.points.last(), Some(&landing));
    }

    #[test]
    fn an_arc_stops_at_a_booth_in_its_way_and_never_lands_behind_it() {
        let (origin, direction) = throw();
        let arc = teleport_arc(origin, direction, &[booth_at(-4.0)], bounds(), 0.35);
        assert_eq!(arc.landing, None);
        let end = *arc.points.last().expect("points");
        assert!(
            end.z <= -2.7 && end.z > -3.0,
            "stops at the booth's front: {end}"
        );
    }

    #[test]
    fn an_arc_landing_beside_a_booth_where_nobody_fits_is_refused() {
        let (origin, direction) = throw();
        let open = teleport_arc(origin, direction, &[], bounds(), 0.35)
            .landing
            .expect("a landing");
        // A booth whose near edge is 10 cm beyond where the arc comes down: the arc never
        // touches it, but a citizen standing there would be in it.
        let booth = Footprint::rect(
            GroundPoint {
                x: 0.0,
                z: open.z - 1.3,
            },
            [3.6, 2.4],
            Quat::IDENTITY,
        );
        let arc = teleport_arc(origin, direction, &[booth], bounds(), 0.35);
        assert_eq!(arc.landing, None, "{:?}", arc.points.last());
    }

    #[test]
    fn an_arc_never_leaves_the_plaza() {
        let (origin, direction) = throw();
        let small = Bounds {
            half_width: 20.0,
            half_depth: 3.0,
        };
        let arc = teleport_arc(origin, direction, &[], small, 0.35);
        assert_eq!(arc.landing, None);
        assert!(arc.points.iter().all(|p| p.z >= -3.0 - 1e-3));
    }

    #[test]
    fn an_arc_thrown_at_the_sky_lands_nowhere() {
        let arc = teleport_arc(Vec3::new(0.0, 1.3, 0.0), Vec3::Y, &[], bounds(), 0.35);
        assert_eq!(arc.landing, None);
    }

    #[test]
    fn a_snap_turn_turns_about_the_head_and_keeps_it_in_place() {
        let rig = (Vec3::new(2.0, 0.0, 3.0), Quat::IDENTITY);
        let head = Vec3::new(2.4, 1.7, 2.5);
        let turned = turn_about(rig, head, 30_f32.to_radians());
        let head_local = rig.1.inverse() * (head - rig.0);
        let head_after = turned.0 + turned.1 * head_local;
        assert!((head_after - head).length() < 1e-5, "{head_after}");
        let (yaw, _, _) = turned.1.to_euler(bevy::math::EulerRot::YXZ);
        assert!((yaw.to_degrees() - 30.0).abs() < 1e-3);
    }

    #[test]
    fn a_teleport_puts_the_head_over_the_landing_and_keeps_the_floor() {
        let rig = Vec3::new(1.0, 0.2, 1.0);
        let moved = teleport_to(rig, Vec3::new(1.3, 1.9, 0.8), Vec3::new(-4.0, 0.0, -6.0));
        assert_eq!(moved, Vec3::new(-4.3, 0.2, -5.8));
    }
}
