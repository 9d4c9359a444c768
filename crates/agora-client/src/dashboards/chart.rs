//! Chart geometry without Bevy's renderer: scales with round ticks, and the 3D meshes of bars,
//! lines and gauges in a chart's own frame (metres; origin at the bottom left of the chart area,
//! x to the viewer's right, y up, z towards the viewer).

use bevy::asset::RenderAssetUsages;
use bevy::math::{Vec2, Vec3};
use bevy::mesh::{Indices, Mesh, PrimitiveTopology};

/// A value axis: its ends and the step between its labelled ticks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// The value at the bottom of the chart.
    pub low: f64,
    /// The value at the top.
    pub high: f64,
    /// Between two ticks.
    pub step: f64,
}

impl Scale {
    /// A scale from `fixed` when given, otherwise one with round ends that holds every value;
    /// `from_zero` keeps zero in it (bars must grow from zero to be honest).
    pub fn fit(
        values: impl IntoIterator<Item = f64>,
        fixed: Option<(f64, f64)>,
        from_zero: bool,
    ) -> Scale {
        if let Some((low, high)) = fixed {
            let step = nice_step((high - low) / 4.0);
            return Scale { low, high, step };
        }
        let (mut low, mut high) = values
            .into_iter()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if low > high {
            (low, high) = (0.0, 1.0);
        }
        if from_zero {
            low = low.min(0.0);
            high = high.max(0.0);
        }
        if (high - low).abs() < f64::EPSILON {
            high = low + low.abs().max(1.0);
        }
        let step = nice_step((high - low) / 4.0);
        Scale {
            low: (low / step).floor() * step,
            high: (high / step).ceil() * step,
            step,
        }
    }

    /// The ticks from the bottom to the top, inclusive.
    pub fn ticks(&self) -> Vec<f64> {
        let count = ((self.high - self.low) / self.step)
            .round()
            .clamp(1.0, 20.0) as usize;
        (0..=count)
            .map(|i| self.low + self.step * i as f64)
            .collect()
    }

    /// Where `value` sits on the scale, 0 at the bottom and 1 at the top, clamped.
    pub fn place(&self, value: f64) -> f32 {
        (((value - self.low) / (self.high - self.low)).clamp(0.0, 1.0)) as f32
    }
}

/// 1, 2, 2.5 or 5 times a power of ten, the first at least `rough`.
fn nice_step(rough: f64) -> f64 {
    if !(rough.is_finite() && rough > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= rough * 0.999)
        .unwrap_or(10.0 * power)
}

/// A mesh under construction: triangles with normals and texture coordinates.
#[derive(Default)]
struct Builder {
    positions: Vec<[f32; 3]>,
    normals: Vec<[f32; 3]>,
    uvs: Vec<[f32; 2]>,
    indices: Vec<u32>,
}

impl Builder {
    /// A flat quad through `corners` (in order around it), facing `outward`.
    fn quad(&mut self, mut corners: [Vec3; 4], mut uvs: [[f32; 2]; 4], outward: Vec3) {
        let mut normal = (corners[1] - corners[0]).cross(corners[2] - corners[0]);
        if normal.dot(outward) < 0.0 {
            corners.reverse();
            uvs.reverse();
            normal = -normal;
        }
        let normal = normal.normalize_or(outward.normalize_or_zero());
        let first = self.positions.len() as u32;
        for (corner, uv) in corners.into_iter().zip(uvs) {
            self.positions.push(corner.to_array());
            self.normals.push(normal.to_array());
            self.uvs.push(uv);
        }
        self.indices
            .extend([first, first + 1, first + 2, first, first + 2, first + 3]);
    }

    /// A box from `min` to `max` without its back (it stands on the screen); `v` gives the
    /// texture's v at the bottom and top, `u` its u.
    fn block(&mut self, min: Vec3, max: Vec3, u: f32, v: [f32; 2]) {
        let (x0, y0, z0, x1, y1, z1) = (min.x, min.y, min.z, max.x, max.y, max.z);
        let side = [[u, v[0]], [u, v[0]], [u, v[1]], [u, v[1]]];
        let top = [[u, v[1]]; 4];
        let p = Vec3::new;
        self.quad(
            [p(x0, y0, z1), p(x1, y0, z1), p(x1, y1, z1), p(x0, y1, z1)],
            side,
            Vec3::Z,
        );
        self.quad(
            [p(x0, y1, z1), p(x1, y1, z1), p(x1, y1, z0), p(x0, y1, z0)],
            top,
            Vec3::Y,
        );
        self.quad(
            [p(x0, y0, z0), p(x1, y0, z0), p(x1, y0, z1), p(x0, y0, z1)],
            [[u, v[0]]; 4],
            -Vec3::Y,
        );
        self.quad(
            [p(x1, y0, z1), p(x1, y0, z0), p(x1, y1, z0), p(x1, y1, z1)],
            side,
            Vec3::X,
        );
        self.quad(
            [p(x0, y0, z0), p(x0, y0, z1), p(x0, y1, z1), p(x0, y1, z0)],
            side,
            -Vec3::X,
        );
    }

    fn finish(self) -> Mesh {
        Mesh::new(
            PrimitiveTopology::TriangleList,
            RenderAssetUsages::default(),
        )
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, self.positions)
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, self.normals)
        .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, self.uvs)
        .with_inserted_indices(Indices::U32(self.indices))
    }
}

/// Bars for `heights` (each 0..=1 of the chart's height), side by side across `size`, `depth`
/// deep. A zero still shows as a sliver, so an empty hour is seen, not missed.
pub fn bars(heights: &[f32], size: Vec2, depth: f32) -> Mesh {
    let mut mesh = Builder::default();
    let slot = size.x / heights.len().max(1) as f32;
    let gap = slot * 0.22;
    for (i, height) in heights.iter().enumerate() {
        let top = (height.clamp(0.0, 1.0) * size.y).max(0.006);
        let x = i as f32 * slot;
        mesh.block(
            Vec3::new(x + gap / 2.0, 0.0, 0.0),
            Vec3::new(x + slot - gap / 2.0, top, depth),
            (i as f32 + 0.5) / heights.len().max(1) as f32,
            [0.0, top / size.y],
        );
    }
    mesh.finish()
}

/// A line through `points` (each coordinate 0..=1 of the chart area) as a raised ribbon
/// `thickness` wide, and the area below it as a separate, flatter mesh.
pub fn line(points: &[Vec2], size: Vec2, thickness: f32, depth: f32) -> (Mesh, Mesh) {
    let at = |p: Vec2| Vec2::new(p.x.clamp(0.0, 1.0) * size.x, p.y.clamp(0.0, 1.0) * size.y);
    let mut ribbon = Builder::default();
    let mut area = Builder::default();
    for pair in points.windows(2) {
        let (a, b) = (at(pair[0]), at(pair[1]));
        let along = (b - a).normalize_or(Vec2::X);
        // Each piece reaches half the thickness past its ends, so joints have no gaps.
        let (a, b) = (a - along * thickness / 2.0, b + along * thickness / 2.0);
        let across = Vec2::new(-along.y, along.x) * thickness / 2.0;
        let corner = |p: Vec2, z: f32| Vec3::new(p.x, p.y, z);
        let (v_a, v_b) = (pair[0].y, pair[1].y);
        let uv = |u: f32, v: f32| [u, v];
        let face = [
            uv(pair[0].x, v_a),
            uv(pair[1].x, v_b),
            uv(pair[1].x, v_b),
            uv(pair[0].x, v_a),
        ];
        ribbon.quad(
            [
                corner(a - across, depth),
                corner(b - across, depth),
                corner(b + across, depth),
                corner(a + across, depth),
            ],
            face,
            Vec3::Z,
        );
        for side in [across, -across] {
            ribbon.quad(
                [
                    corner(a + side, 0.0),
                    corner(b + side, 0.0),
                    corner(b + side, depth),
                    corner(a + side, depth),
                ],
                face,
                side.extend(0.0),
            );
        }
        let (a, b) = (at(pair[0]), at(pair[1]));
        area.quad(
            [
                Vec3::new(a.x, 0.0, depth * 0.25),
                Vec3::new(b.x, 0.0, depth * 0.25),
                Vec3::new(b.x, b.y, depth * 0.25),
                Vec3::new(a.x, a.y, depth * 0.25),
            ],
            [
                [pair[0].x, 0.0],
                [pair[1].x, 0.0],
                [pair[1].x, v_b],
                [pair[0].x, v_a],
            ],
            Vec3::Z,
        );
    }
    (ribbon.finish(), area.finish())
}

/// The angle where a gauge starts (its low end, lower left) and how far it sweeps clockwise.
pub const GAUGE_START: f32 = 225.0_f32.to_radians();
/// The gauge's sweep: three quarters of a circle.
pub const GAUGE_SWEEP: f32 = 270.0_f32.to_radians();

/// An arc from the gauge's low end to `fraction` (0..=1) of its sweep, around `centre`,
/// `width` wide inside `radius`, `depth` deep; u runs along the arc from 0 to `fraction`.
pub fn arc(centre: Vec2, radius: f32, width: f32, fraction: f32, depth: f32) -> Mesh {
    let fraction = fraction.clamp(0.0, 1.0);
    let mut mesh = Builder::default();
    let segments = ((64.0 * fraction).ceil() as usize).max(1);
    let point = |angle: f32, r: f32, z: f32| {
        Vec3::new(centre.x + r * angle.cos(), centre.y + r * angle.sin(), z)
    };
    let inner = radius - width;
    for i in 0..segments {
        let (t0, t1) = (
            fraction * i as f32 / segments as f32,
            fraction * (i + 1) as f32 / segments as f32,
        );
        let (a0, a1) = (
            GAUGE_START - GAUGE_SWEEP * t0,
            GAUGE_START - GAUGE_SWEEP * t1,
        );
        let uv = [[t0, 1.0], [t0, 1.0], [t1, 1.0], [t1, 1.0]];
        mesh.quad(
            [
                point(a0, inner, depth),
                point(a0, radius, depth),
                point(a1, radius, depth),
                point(a1, inner, depth),
            ],
            uv,
            Vec3::Z,
        );
        let mid = (a0 + a1) / 2.0;
        let out = Vec3::new(mid.cos(), mid.sin(), 0.0);
        mesh.quad(
            [
                point(a0, radius, 0.0),
                point(a1, radius, 0.0),
                point(a1, radius, depth),
                point(a0, radius, depth),
            ],
            uv,
            out,
        );
        mesh.quad(
            [
                point(a0, inner, 0.0),
                point(a1, inner, 0.0),
                point(a1, inner, depth),
                point(a0, inner, depth),
            ],
            uv,
            -out,
        );
    }
    // Caps at both ends.
    for (angle, t) in [
        (GAUGE_START, 0.0),
        (GAUGE_START - GAUGE_SWEEP * fraction, fraction),
    ] {
        let tangent = Vec3::new(-angle.sin(), angle.cos(), 0.0) * if t == 0.0 { 1.0 } else { -1.0 };
        mesh.quad(
            [
                point(angle, inner, 0.0),
                point(angle, radius, 0.0),
                point(angle, radius, depth),
                point(angle, inner, depth),
            ],
            [[t, 1.0]; 4],
            tangent,
        );
    }
    mesh.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::mesh::VertexAttributeValues;

    #[test]
    fn scales_have_round_ends_and_hold_every_value() {
        for (values, from_zero, expected) in [
            (vec![3.0, 97.0], false, (0.0, 100.0, 25.0)),
            (vec![412.0, 486.0], true, (0.0, 600.0, 200.0)),
            (vec![412.0, 486.0], false, (400.0, 500.0, 20.0)),
            (vec![0.0, 0.0], true, (0.0, 1.0, 0.25)),
            (vec![], true, (0.0, 1.0, 0.25)),
            (vec![-4.0, 7.5], false, (-5.0, 10.0, 5.0)),
        ] {
            let scale = Scale::fit(values.clone(), None, from_zero);
            assert_eq!((scale.low, scale.high, scale.step), expected, "{values:?}");
            assert!(values.iter().all(|v| (scale.low..=scale.high).contains(v)));
        }
        let fixed = Scale::fit([500.0], Some((0.0, 300.0)), false);
        assert_eq!((fixed.low, fixed.high), (0.0, 300.0));
        assert_eq!(
            fixed.place(500.0),
            1.0,
            "a value off the scale is clamped, not drawn outside"
        );
        assert_eq!(fixed.ticks(), vec![0.0, 100.0, 200.0, 300.0]);
    }

    fn positions(mesh: &Mesh) -> Vec<Vec3> {
        match mesh.attribute(Mesh::ATTRIBUTE_POSITION) {
            Some(VertexAttributeValues::Float32x3(p)) => {
                p.iter().map(|p| Vec3::from_array(*p)).collect()
            }
            _ => panic!("positions"),
        }
    }

    /// Every triangle must face the way its stored normal says (so it is lit and not culled).
    fn faces_agree_with_normals(mesh: &Mesh) {
        let p = positions(mesh);
        let Some(VertexAttributeValues::Float32x3(n)) = mesh.attribute(Mesh::ATTRIBUTE_NORMAL)
        else {
            panic!("normals")
        };
        let Some(Indices::U32(indices)) = mesh.indices() else {
            panic!("indices")
        };
        for tri in indices.chunks(3) {
            let [a, b, c] = [tri[0], tri[1], tri[2]].map(|i| p[i as usize]);
            let facing = (b - a).cross(c - a);
            if facing.length() > 1e-9 {
                assert!(
                    facing.dot(Vec3::from_array(n[tri[0] as usize])) > 0.0,
                    "a triangle faces inwards"
                );
            }
        }
    }

    #[test]
    fn bars_stand_on_the_axis_and_reach_their_values() {
        let mesh = bars(&[0.0, 0.5, 1.0], Vec2::new(1.5, 1.0), 0.05);
        faces_agree_with_normals(&mesh);
        let p = positions(&mesh);
        let top_in = |x0: f32, x1: f32| {
            p.iter()
                .filter(|v| v.x >= x0 && v.x <= x1)
                .map(|v| v.y)
                .fold(0.0, f32::max)
        };
        assert!((top_in(0.5, 1.0) - 0.5).abs() < 1e-5);
        assert!((top_in(1.0, 1.5) - 1.0).abs() < 1e-5);
        assert!(top_in(0.0, 0.5) > 0.0, "a zero bar still shows");
        assert!(
            p.iter()
                .all(|v| v.y >= 0.0 && v.x >= 0.0 && v.x <= 1.5 && (0.0..=0.05).contains(&v.z))
        );
    }

    #[test]
    fn lines_pass_through_their_points_and_gauges_sweep_their_share() {
        let (ribbon, area) = line(
            &[
                Vec2::new(0.0, 0.2),
                Vec2::new(0.5, 0.8),
                Vec2::new(1.0, 0.4),
            ],
            Vec2::new(2.0, 1.0),
            0.02,
            0.03,
        );
        faces_agree_with_normals(&ribbon);
        faces_agree_with_normals(&area);
        let near = |target: Vec2| {
            positions(&ribbon)
                .iter()
                .any(|v| (v.truncate() - target).length() < 0.02)
        };
        assert!(
            near(Vec2::new(1.0, 0.8)),
            "the ribbon passes the middle point"
        );
        let full = arc(Vec2::ZERO, 1.0, 0.2, 1.0, 0.05);
        let half = arc(Vec2::ZERO, 1.0, 0.2, 0.5, 0.05);
        faces_agree_with_normals(&full);
        // Half a 270° sweep from the lower left ends at the top.
        let top = positions(&half)
            .iter()
            .map(|v| v.y)
            .fold(f32::MIN, f32::max);
        assert!((top - 1.0).abs() < 0.01, "{top}");
        assert!(
            positions(&half).iter().all(|v| v.x <= 0.01),
            "half a gauge stays on its left"
        );
    }
}
