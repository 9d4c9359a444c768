//! The panel as pixels, without a GPU: egui's output tessellated and filled on the CPU the way
//! its renderers do (premultiplied colours blended in gamma space, textures sampled at the
//! nearest texel), so that the contrast of every text against what is behind it can be
//! measured from the picture, as WCAG 2.2 defines contrast.

use std::collections::HashMap;

use bevy_egui::egui::{self, ClippedPrimitive, Color32, ImageData, Pos2, TextureId};

/// The textures egui has asked for so far (the font atlas among them).
#[derive(Default)]
pub struct Textures(HashMap<TextureId, egui::ColorImage>);

impl Textures {
    /// Applies a frame's changes.
    pub fn update(&mut self, delta: &egui::TexturesDelta) {
        for (id, image) in delta
            .set
            .iter()
            .flat_map(|(id, deltas)| deltas.iter().map(move |d| (id, d)))
        {
            let ImageData::Color(new) = &image.image;
            match image.pos {
                None => {
                    self.0.insert(*id, (**new).clone());
                }
                Some([x0, y0]) => {
                    let Some(old) = self.0.get_mut(id) else {
                        continue;
                    };
                    let [w, h] = new.size;
                    for y in 0..h {
                        for x in 0..w {
                            let at = (y0 + y) * old.size[0] + x0 + x;
                            if let Some(texel) = old.pixels.get_mut(at) {
                                *texel = new.pixels[y * w + x];
                            }
                        }
                    }
                }
            }
        }
        for id in &delta.free {
            self.0.remove(id);
        }
    }
}

/// A picture, premultiplied RGBA in 0..1, gamma-encoded as egui's colours are.
pub struct Picture {
    pub width: usize,
    pub height: usize,
    pixels: Vec<[f32; 4]>,
}

impl Picture {
    /// The pixel at `x`, `y` as sRGB, on opaque black where it is not covered.
    pub fn at(&self, x: usize, y: usize) -> [u8; 3] {
        let [r, g, b, _] = self.pixels[y * self.width + x];
        [r, g, b].map(|c| (c.clamp(0.0, 1.0) * 255.0).round() as u8)
    }
}

/// Fills `primitives` (in points) at `pixels_per_point` into a picture `size` points large.
pub fn draw(
    primitives: &[ClippedPrimitive],
    textures: &Textures,
    size: egui::Vec2,
    pixels_per_point: f32,
) -> Picture {
    let (width, height) = (
        (size.x * pixels_per_point).round() as usize,
        (size.y * pixels_per_point).round() as usize,
    );
    let mut picture = Picture {
        width,
        height,
        pixels: vec![[0.0, 0.0, 0.0, 0.0]; width * height],
    };
    for ClippedPrimitive {
        clip_rect,
        primitive,
    } in primitives
    {
        let egui::epaint::Primitive::Mesh(mesh) = primitive else {
            continue;
        };
        let Some(texture) = textures.0.get(&mesh.texture_id) else {
            continue;
        };
        let clip = [
            (clip_rect.min.x * pixels_per_point).max(0.0),
            (clip_rect.min.y * pixels_per_point).max(0.0),
            (clip_rect.max.x * pixels_per_point).min(width as f32),
            (clip_rect.max.y * pixels_per_point).min(height as f32),
        ];
        for triangle in mesh.indices.chunks_exact(3) {
            let [a, b, c] = [0, 1, 2].map(|i| &mesh.vertices[triangle[i] as usize]);
            fill(&mut picture, [a, b, c], texture, pixels_per_point, clip);
        }
    }
    picture
}

fn fill(
    picture: &mut Picture,
    v: [&egui::epaint::Vertex; 3],
    texture: &egui::ColorImage,
    ppp: f32,
    clip: [f32; 4],
) {
    let p: [Pos2; 3] = v.map(|v| Pos2::new(v.pos.x * ppp, v.pos.y * ppp));
    let edge = |a: Pos2, b: Pos2, c: Pos2| (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
    let area = edge(p[0], p[1], p[2]);
    if area.abs() < 1e-6 {
        return;
    }
    let x0 = p
        .iter()
        .map(|p| p.x)
        .fold(f32::MAX, f32::min)
        .max(clip[0])
        .floor() as usize;
    let x1 = p
        .iter()
        .map(|p| p.x)
        .fold(f32::MIN, f32::max)
        .min(clip[2])
        .ceil() as usize;
    let y0 = p
        .iter()
        .map(|p| p.y)
        .fold(f32::MAX, f32::min)
        .max(clip[1])
        .floor() as usize;
    let y1 = p
        .iter()
        .map(|p| p.y)
        .fold(f32::MIN, f32::max)
        .min(clip[3])
        .ceil() as usize;
    let colour = v.map(|v| v.color.to_array().map(|c| f32::from(c) / 255.0));
    let [tw, th] = texture.size;
    for y in y0..y1.min(picture.height) {
        for x in x0..x1.min(picture.width) {
            let at = Pos2::new(x as f32 + 0.5, y as f32 + 0.5);
            let w = [
                edge(p[1], p[2], at) / area,
                edge(p[2], p[0], at) / area,
                edge(p[0], p[1], at) / area,
            ];
            if w.iter().any(|w| *w < 0.0) {
                continue;
            }
            let uv = v[0].uv.to_vec2() * w[0] + v[1].uv.to_vec2() * w[1] + v[2].uv.to_vec2() * w[2];
            let tx = ((uv.x * tw as f32) as usize).min(tw - 1);
            let ty = ((uv.y * th as f32) as usize).min(th - 1);
            let texel = texture.pixels[ty * tw + tx]
                .to_array()
                .map(|c| f32::from(c) / 255.0);
            let mut source = [0.0; 4];
            for (i, s) in source.iter_mut().enumerate() {
                let vertex = colour[0][i] * w[0] + colour[1][i] * w[1] + colour[2][i] * w[2];
                *s = vertex * texel[i];
            }
            let target = &mut picture.pixels[y * picture.width + x];
            for i in 0..4 {
                target[i] = source[i] + target[i] * (1.0 - source[3]);
            }
        }
    }
}

/// WCAG 2.2's contrast ratio, as the library computes it.
pub use agora_client::panel::theme::contrast;

/// A text the panel shows, where it is, how large, and in which colour.
pub struct Text {
    pub words: String,
    pub rect: egui::Rect,
    pub size: f32,
    pub colour: [u8; 3],
}

/// Every text among `shapes`, with its bounds and its largest font size.
pub fn texts(shapes: &[egui::epaint::ClippedShape]) -> Vec<Text> {
    fn walk(shape: &egui::Shape, clip: egui::Rect, found: &mut Vec<Text>) {
        match shape {
            egui::Shape::Vec(shapes) => {
                for shape in shapes {
                    walk(shape, clip, found);
                }
            }
            egui::Shape::Text(text) => {
                let rect = text.visual_bounding_rect().intersect(clip);
                let words = text.galley.text().trim().to_owned();
                let size = text
                    .galley
                    .job
                    .sections
                    .iter()
                    .map(|s| s.format.font_id.size)
                    .fold(0.0, f32::max);
                let colour = text.override_text_color.unwrap_or_else(|| {
                    text.galley
                        .job
                        .sections
                        .iter()
                        .map(|s| s.format.color)
                        .find(|c| *c != Color32::PLACEHOLDER)
                        .unwrap_or(text.fallback_color)
                });
                if rect.is_positive() && !words.is_empty() {
                    found.push(Text {
                        words,
                        rect,
                        size,
                        colour: [colour.r(), colour.g(), colour.b()],
                    });
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    for clipped in shapes {
        walk(&clipped.shape, clipped.clip_rect, &mut found);
    }
    found
}

/// The contrast of a text with what is behind it, from the picture: the background is the
/// commonest colour in the text's box, the text's the pixel there nearest the colour it was
/// drawn in (a glyph's stem covers whole pixels); with the two colours.
pub fn measured(picture: &Picture, text: &Text, ppp: f32) -> Option<(f64, [u8; 3], [u8; 3])> {
    let rect = text.rect;
    let x0 = (rect.min.x * ppp).floor().max(0.0) as usize;
    let y0 = (rect.min.y * ppp).floor().max(0.0) as usize;
    let x1 = ((rect.max.x * ppp).ceil() as usize).min(picture.width);
    let y1 = ((rect.max.y * ppp).ceil() as usize).min(picture.height);
    let mut counts: HashMap<[u8; 3], usize> = HashMap::new();
    for y in y0..y1 {
        for x in x0..x1 {
            *counts.entry(picture.at(x, y)).or_default() += 1;
        }
    }
    let (background, _) = counts.iter().max_by_key(|(_, n)| **n)?;
    let distance = |c: &[u8; 3]| -> i32 {
        (0..3)
            .map(|i| (i32::from(c[i]) - i32::from(text.colour[i])).abs())
            .sum()
    };
    let ink = counts
        .keys()
        .filter(|c| *c != background)
        .min_by_key(|c| distance(c))?;
    Some((contrast(*ink, *background), *ink, *background))
}

/// A colour as `#rrggbb`, for messages.
pub fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}
