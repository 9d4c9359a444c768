//! Ground footprints and the one rule of walking in the plaza: a citizen is a circle that slides
//! along whatever it bumps into and never leaves the plaza.
//!
//! Ground points are `Vec2(x, z)`. Pure functions, so the rule is tested without an app.

use bevy::math::{Quat, Vec2, Vec3};

use super::layout::{Bounds, GroundPoint};

/// Ground area that something occupies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Footprint {
    /// A rectangle turned about its centre.
    Rect {
        /// Centre on the ground.
        centre: Vec2,
        /// Half its width (along its local x) and half its depth (along its local z).
        half: Vec2,
        /// Its turn about the vertical axis.
        rotation: Quat,
    },
    /// A disc.
    Circle {
        /// Centre on the ground.
        centre: Vec2,
        /// Radius in metres.
        radius: f32,
    },
}

impl Footprint {
    /// A `[width, depth]` rectangle centred on `position`, turned by `rotation`.
    pub fn rect(position: GroundPoint, [width, depth]: [f32; 2], rotation: Quat) -> Self {
        Footprint::Rect {
            centre: Vec2::new(position.x, position.z),
            half: Vec2::new(width, depth) / 2.0,
            rotation,
        }
    }

    /// How far, and which way, a circle at `point` with `radius` must move to stop overlapping
    /// this footprint; `None` when it does not overlap.
    pub fn push_out(&self, point: Vec2, radius: f32) -> Option<Vec2> {
        match *self {
            Footprint::Circle { centre, radius: r } => {
                let offset = point - centre;
                let distance = offset.length();
                let reach = r + radius;
                (distance < reach).then(|| {
                    let away = offset.try_normalize().unwrap_or(Vec2::Y);
                    away * (reach - distance)
                })
            }
            Footprint::Rect {
                centre,
                half,
                rotation,
            } => {
                let to_local = |v: Vec2| {
                    let local = rotation.inverse() * Vec3::new(v.x, 0.0, v.y);
                    Vec2::new(local.x, local.z)
                };
                let to_world = |v: Vec2| {
                    let world = rotation * Vec3::new(v.x, 0.0, v.y);
                    Vec2::new(world.x, world.z)
                };
                let local = to_local(point - centre);
                let closest = local.clamp(-half, half);
                let offset = local - closest;
                let distance = offset.length();
                if distance >= radius {
                    return None;
                }
                let push = if distance > 1e-6 {
                    offset / distance * (radius - distance)
                } else {
                    // The centre is inside: leave by the nearest side.
                    let room = half - local.abs();
                    if room.x < room.y {
                        Vec2::new(local.x.signum() * (room.x + radius), 0.0)
                    } else {
                        Vec2::new(0.0, local.y.signum() * (room.y + radius))
                    }
                };
                Some(to_world(push))
            }
        }
    }
}

/// Moves a citizen (a circle of `radius` at `from`) by `step`, sliding along obstacles and
/// staying inside `bounds`. Returns where the citizen ends up.
pub fn walk(from: Vec2, step: Vec2, radius: f32, obstacles: &[Footprint], bounds: Bounds) -> Vec2 {
    // Long steps (a slow frame) are cut into pieces no longer than the radius, so that a
    // citizen can never tunnel through a thin obstacle.
    let pieces = (step.length() / radius).ceil().max(1.0) as u32;
    let mut at = from;
    for _ in 0..pieces {
        at += step / pieces as f32;
        // A few rounds settle corners where two obstacles push against each other.
        for _ in 0..4 {
            let mut moved = false;
            for obstacle in obstacles {
                if let Some(push) = obstacle.push_out(at, radius) {
                    at += push;
                    moved = true;
                }
            }
            at = at.clamp(
                Vec2::new(-bounds.half_width + radius, -bounds.half_depth + radius),
                Vec2::new(bounds.half_width - radius, bounds.half_depth - radius),
            );
            if !moved {
                break;
            }
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::compass_rotation;

    const BOUNDS: Bounds = Bounds {
        half_width: 20.0,
        half_depth: 10.0,
    };

    fn booth_at_origin(facing: f32) -> Footprint {
        Footprint::rect(
            GroundPoint { x: 0.0, z: 0.0 },
            [4.0, 2.0],
            compass_rotation(facing),
        )
    }

    #[test]
    fn walking_into_a_booth_stops_at_its_side() {
        let booth = booth_at_origin(0.0);
        // From the south, straight north into the booth (which is 2 m deep).
        let end = walk(
            Vec2::new(0.0, 5.0),
            Vec2::new(0.0, -10.0),
            0.3,
            &[booth],
            BOUNDS,
        );
        assert!(
            (end - Vec2::new(0.0, 1.3)).length() < 1e-3,
            "ended at {end}"
        );
    }

    #[test]
    fn a_turned_booth_is_solid_along_its_own_axes() {
        // Facing east, the 4 m wide booth now spans 4 m north–south and 2 m east–west.
        let booth = booth_at_origin(90.0);
        let from_east = walk(
            Vec2::new(5.0, 1.5),
            Vec2::new(-10.0, 0.0),
            0.3,
            &[booth],
            BOUNDS,
        );
        assert!((from_east.x - 1.3).abs() < 1e-3, "ended at {from_east}");
        let passing_north = walk(
            Vec2::new(5.0, -2.4),
            Vec2::new(-10.0, 0.0),
            0.3,
            &[booth],
            BOUNDS,
        );
        assert!(
            (passing_north.x + 5.0).abs() < 1e-3,
            "ended at {passing_north}"
        );
    }

    #[test]
    fn walking_diagonally_slides_along_the_wall() {
        let booth = booth_at_origin(0.0);
        let end = walk(
            Vec2::new(-1.0, 3.0),
            Vec2::new(1.0, -3.0),
            0.3,
            &[booth],
            BOUNDS,
        );
        // Blocked in z, but the sideways part of the step still happens.
        assert!(
            (end.y - 1.3).abs() < 1e-3 && (end.x - 0.0).abs() < 1e-3,
            "ended at {end}"
        );
    }

    #[test]
    fn a_fountain_is_round() {
        let fountain = Footprint::Circle {
            centre: Vec2::ZERO,
            radius: 3.0,
        };
        let end = walk(
            Vec2::new(5.0, 5.0),
            Vec2::new(-5.0, -5.0),
            0.5,
            &[fountain],
            BOUNDS,
        );
        assert!((end.length() - 3.5).abs() < 1e-3, "ended at {end}");
    }

    #[test]
    fn nobody_walks_off_the_plaza() {
        let end = walk(Vec2::ZERO, Vec2::new(100.0, -100.0), 0.3, &[], BOUNDS);
        assert_eq!(end, Vec2::new(19.7, -9.7));
    }

    #[test]
    fn one_huge_step_does_not_tunnel_through_a_booth() {
        let booth = booth_at_origin(0.0);
        let end = walk(
            Vec2::new(0.0, 5.0),
            Vec2::new(0.0, -9.0),
            0.3,
            &[booth],
            BOUNDS,
        );
        assert!(end.y > 0.0, "tunnelled to {end}");
    }
}
