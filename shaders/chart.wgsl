// The dashboards' chart material: bars, lines and gauges that read at a glance from across the
// plaza, and that say plainly when their numbers are stale.
//
// - Colour deepens towards the base of a bar or the foot of an area and brightens towards the
//   value, so the eye goes to the number, not to the bulk.
// - A fixed key light and a soft rim keep the 3D shapes legible from any side, whatever the
//   sun does, without competing with the screen's text (the charts are not lit by the scene).
// - Faint bands every tenth of the scale work as a ruler on the bars' faces.
// - A stale chart turns grey and hatched: the state shows without relying on colour.
//
// Uniforms: `colour` is the chart's linear colour; `params.x` is 1 when the feed is stale,
// `params.y` the style (0 bars, 1 area under a line, 2 gauge track, 3 plain: a line or a
// gauge's value).

#import bevy_pbr::{forward_io::VertexOutput, mesh_view_bindings::view}

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> colour: vec4<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<uniform> params: vec4<f32>;

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let n = normalize(in.world_normal);
    let to_eye = normalize(view.world_position - in.world_position.xyz);
    let key = normalize(vec3<f32>(0.3, 0.8, 0.55));
    let facing = abs(dot(n, to_eye));
    let diffuse = 0.62 + 0.38 * max(dot(n, key), 0.0);
    let height = clamp(in.uv.y, 0.0, 1.0);

    var base = colour.rgb * mix(0.5, 1.15, height);
    let style = params.y;
    if style > 2.5 {
        // A line or a gauge's value: full colour along its length.
        base = colour.rgb;
    } else if style > 1.5 {
        // The gauge's track: the full scale, quiet.
        base = mix(vec3<f32>(0.045, 0.07, 0.1), colour.rgb * 0.25, 0.5);
    } else if style > 0.5 {
        // The area under a line: a veil that fades towards the axis.
        base = colour.rgb * mix(0.06, 0.4, height * height);
    }

    var rgb = base * diffuse;
    // The rim: edges catch light, so a bar reads as a solid and the line as a raised ribbon.
    rgb += pow(1.0 - facing, 3.0) * 0.35 * (colour.rgb + vec3<f32>(0.25));
    // The ruler: a faint line every tenth of the scale across the bars.
    if style < 0.5 {
        let band = 1.0 - smoothstep(0.0, 0.01, abs(fract(height * 10.0 + 0.5) - 0.5));
        rgb *= 1.0 - 0.15 * band;
    }

    if params.x > 0.5 {
        let grey = dot(rgb, vec3<f32>(0.2126, 0.7152, 0.0722));
        rgb = vec3<f32>(grey) * 0.7;
        let stripe = step(0.5, fract((in.position.x + in.position.y) / 16.0));
        rgb *= 0.7 + 0.3 * stripe;
    }
    return vec4<f32>(rgb, 1.0);
}
