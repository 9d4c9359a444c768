//! Textures drawn on the CPU at start-up: sign faces with bilingual text, paving, facades.
//!
//! Drawing them here, rather than shipping image files, keeps the plaza's look in code that
//! follows the layout (a sign always fits its text) and the binary self-contained. Every texture
//! gets a full mip chain so that text and patterns stay calm at a distance instead of shimmering.

use ab_glyph::{Font, FontArc, PxScale, ScaleFont};
use bevy::asset::RenderAssetUsages;
use bevy::image::{Image, ImageAddressMode, ImageSampler, ImageSamplerDescriptor};
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};

/// The bold face of the plaza's font (Noto Sans SC, subset; see `assets/fonts/README.md`).
pub const BOLD_FONT: &[u8] = include_bytes!("../../../assets/fonts/NotoSansSC-Bold.subset.otf");

/// The regular face of the plaza's font.
pub const REGULAR_FONT: &[u8] =
    include_bytes!("../../../assets/fonts/NotoSansSC-Regular.subset.otf");

/// Loads an embedded font. The bytes are part of the binary and checked by a unit test, so a
/// failure here is a build defect, not bad input.
pub fn embedded_font(bytes: &'static [u8]) -> FontArc {
    FontArc::try_from_slice(bytes).expect("the embedded font is a valid OpenType file")
}

/// An RGBA8 (sRGB) picture being drawn.
#[derive(Clone)]
pub struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<[u8; 4]>,
}

/// Where a run of text sits relative to its anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Starts at the anchor.
    Left,
    /// Centred on the anchor.
    Centre,
    /// Ends at the anchor.
    Right,
}

/// One line of text on a sign: what it says, its height as a share of the canvas height, and
/// its colour.
pub struct TextLine<'a> {
    /// The text.
    pub text: &'a str,
    /// Glyph height relative to the canvas height.
    pub size: f32,
    /// sRGB colour.
    pub colour: [u8; 3],
}

impl Canvas {
    /// A canvas filled with one colour.
    pub fn new(width: u32, height: u32, fill: [u8; 4]) -> Self {
        Self {
            width,
            height,
            pixels: vec![fill; (width * height) as usize],
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The pixel at (`x`, `y`).
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        self.pixels[(y * self.width + x) as usize]
    }

    /// Fills a rectangle, clipped to the canvas.
    pub fn fill_rect(&mut self, x: i32, y: i32, w: i32, h: i32, colour: [u8; 4]) {
        let x0 = x.clamp(0, self.width as i32) as u32;
        let y0 = y.clamp(0, self.height as i32) as u32;
        let x1 = (x + w).clamp(0, self.width as i32) as u32;
        let y1 = (y + h).clamp(0, self.height as i32) as u32;
        for row in y0..y1 {
            let start = (row * self.width) as usize;
            self.pixels[start + x0 as usize..start + x1 as usize].fill(colour);
        }
    }

    /// Applies `shade` to every pixel, given its coordinates: for noise and gradients.
    pub fn shade(&mut self, mut shade: impl FnMut(u32, u32, [u8; 4]) -> [u8; 4]) {
        for y in 0..self.height {
            for x in 0..self.width {
                let i = (y * self.width + x) as usize;
                self.pixels[i] = shade(x, y, self.pixels[i]);
            }
        }
    }

    /// Blends `colour` over the pixel at (`x`, `y`) with `coverage` in 0..=1.
    fn blend(&mut self, x: i32, y: i32, colour: [u8; 3], coverage: f32) {
        if x < 0 || y < 0 || x >= self.width as i32 || y >= self.height as i32 {
            return;
        }
        let pixel = &mut self.pixels[(y as u32 * self.width + x as u32) as usize];
        let a = coverage.clamp(0.0, 1.0);
        for c in 0..3 {
            pixel[c] = (f32::from(pixel[c]) * (1.0 - a) + f32::from(colour[c]) * a).round() as u8;
        }
    }

    /// Draws lines of text centred horizontally, stacked vertically and centred as a block
    /// within the rows `top..bottom`. A line too wide for the canvas (less `margin` on each
    /// side) is scaled down to fit rather than clipped.
    pub fn draw_lines(&mut self, font: &FontArc, lines: &[TextLine<'_>], top: u32, bottom: u32) {
        let margin = self.width as f32 * 0.05;
        let usable = self.width as f32 - 2.0 * margin;
        let gap = (bottom - top) as f32 * 0.06;
        let laid: Vec<(PxScale, f32)> = lines
            .iter()
            .map(|line| {
                let mut scale = PxScale::from(line.size * self.height as f32);
                let width = text_width(font, scale, line.text);
                if width > usable {
                    scale = PxScale::from(scale.y * usable / width);
                }
                (scale, text_width(font, scale, line.text))
            })
            .collect();
        let block: f32 = laid
            .iter()
            .map(|(scale, _)| font.as_scaled(*scale).height())
            .sum::<f32>()
            + gap * lines.len().saturating_sub(1) as f32;
        let mut y = top as f32 + ((bottom - top) as f32 - block) / 2.0;
        for (line, (scale, width)) in lines.iter().zip(laid) {
            let scaled = font.as_scaled(scale);
            let baseline = y + scaled.ascent();
            let x = (self.width as f32 - width) / 2.0;
            self.draw_text(font, scale, line.text, x, baseline, line.colour);
            y += scaled.height() + gap;
        }
    }

    /// Draws one line of `text` `size` pixels high (the font's em) with its top at `top`,
    /// anchored at `x` as `align` says, shrunk to fit `max_width` if wider; returns its width.
    pub fn text(
        &mut self,
        font: &FontArc,
        size: f32,
        text: &str,
        x: f32,
        top: f32,
        max_width: f32,
        align: Align,
        colour: [u8; 3],
    ) -> f32 {
        let mut scale = PxScale::from(size);
        let mut width = text_width(font, scale, text);
        if width > max_width && max_width > 0.0 {
            scale = PxScale::from(size * max_width / width);
            width = text_width(font, scale, text);
        }
        let left = match align {
            Align::Left => x,
            Align::Centre => x - width / 2.0,
            Align::Right => x - width,
        };
        let baseline = top + font.as_scaled(scale).ascent();
        self.draw_text(font, scale, text, left, baseline, colour);
        width
    }

    fn draw_text(
        &mut self,
        font: &FontArc,
        scale: PxScale,
        text: &str,
        x: f32,
        baseline: f32,
        colour: [u8; 3],
    ) {
        let scaled = font.as_scaled(scale);
        let mut caret = x;
        let mut previous = None;
        for ch in text.chars() {
            let id = scaled.glyph_id(ch);
            if let Some(prev) = previous {
                caret += scaled.kern(prev, id);
            }
            let glyph = id.with_scale_and_position(scale, ab_glyph::point(caret, baseline));
            caret += scaled.h_advance(id);
            previous = Some(id);
            if let Some(outline) = font.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                outline.draw(|gx, gy, coverage| {
                    self.blend(
                        bounds.min.x as i32 + gx as i32,
                        bounds.min.y as i32 + gy as i32,
                        colour,
                        coverage,
                    );
                });
            }
        }
    }

    /// Turns the canvas into a mip-mapped texture. `repeat` makes it tile.
    pub fn into_image(self, repeat: bool) -> Image {
        let size = Extent3d {
            width: self.width,
            height: self.height,
            depth_or_array_layers: 1,
        };
        // The whole chain is about 4/3 of the first level.
        let mut data = Vec::with_capacity(self.pixels.len() * 4 * 4 / 3 + 64);
        data.extend_from_slice(self.pixels.as_flattened());
        let mut image = Image::new_uninit(
            size,
            TextureDimension::D2,
            TextureFormat::Rgba8UnormSrgb,
            RenderAssetUsages::RENDER_WORLD,
        );
        let mut level = self;
        let mut levels = 1;
        while level.width > 1 || level.height > 1 {
            level = level.half();
            data.extend_from_slice(level.pixels.as_flattened());
            levels += 1;
        }
        image.data = Some(data);
        image.texture_descriptor.mip_level_count = levels;
        let address_mode = if repeat {
            ImageAddressMode::Repeat
        } else {
            ImageAddressMode::ClampToEdge
        };
        image.sampler = ImageSampler::Descriptor(ImageSamplerDescriptor {
            address_mode_u: address_mode,
            address_mode_v: address_mode,
            // No anisotropic filtering: under lavapipe (Mesa 22.3) it drew stray lines through
            // signs seen at an angle. Trilinear filtering over the mip chain keeps text calm.
            ..ImageSamplerDescriptor::linear()
        });
        image
    }

    /// A box-filtered half-size copy, averaging in linear light so that text does not darken.
    /// Integer table lookups only: it runs for every repaint of a dashboard screen.
    fn half(&self) -> Canvas {
        let width = (self.width / 2).max(1);
        let height = (self.height / 2).max(1);
        let tables = &*SRGB_TABLES;
        let mut pixels = Vec::with_capacity((width * height) as usize);
        for y in 0..height {
            let top = &self.pixels[((2 * y).min(self.height - 1) * self.width) as usize..];
            let bottom = &self.pixels[((2 * y + 1).min(self.height - 1) * self.width) as usize..];
            for x in 0..width {
                let (left, right) = ((2 * x) as usize, (2 * x + 1).min(self.width - 1) as usize);
                let quad = [top[left], top[right], bottom[left], bottom[right]];
                let mut out = [0_u8; 4];
                for c in 0..3 {
                    let sum: u32 = quad
                        .iter()
                        .map(|p| u32::from(tables.to_linear16[usize::from(p[c])]))
                        .sum();
                    out[c] = tables.from_linear16[(sum / 4) as usize];
                }
                out[3] =
                    (quad.iter().map(|p| u32::from(p[3])).sum::<u32>() as f32 / 4.0).round() as u8;
                pixels.push(out);
            }
        }
        Canvas {
            width,
            height,
            pixels,
        }
    }
}

/// The advance width of `text` at `scale`, kerning included.
pub fn text_width(font: &FontArc, scale: PxScale, text: &str) -> f32 {
    let scaled = font.as_scaled(scale);
    let mut width = 0.0;
    let mut previous = None;
    for ch in text.chars() {
        let id = scaled.glyph_id(ch);
        if let Some(prev) = previous {
            width += scaled.kern(prev, id);
        }
        width += scaled.h_advance(id);
        previous = Some(id);
    }
    width
}

/// Characters of `text` that `font` has no glyph for (they would show as boxes).
pub fn missing_glyphs(font: &FontArc, text: &str) -> Vec<char> {
    text.chars()
        .filter(|ch| !ch.is_whitespace() && font.glyph_id(*ch).0 == 0)
        .collect()
}

/// sRGB byte to linear light (0..=1).
#[cfg(test)]
fn srgb_to_linear(c: u8) -> f32 {
    srgb_decode(f32::from(c) / 255.0)
}

/// Linear light back to the nearest sRGB byte, through the 16-bit table.
#[cfg(test)]
fn linear_to_srgb(c: f32) -> u8 {
    SRGB_TABLES.from_linear16[(c.clamp(0.0, 1.0) * 65535.0).round() as usize]
}

fn srgb_decode(s: f32) -> f32 {
    if s <= 0.04045 {
        s / 12.92
    } else {
        ((s + 0.055) / 1.055).powf(2.4)
    }
}

fn srgb_encode(linear: f32) -> f32 {
    if linear <= 0.003_130_8 {
        linear * 12.92
    } else {
        1.055 * linear.powf(1.0 / 2.4) - 0.055
    }
}

/// Conversions between sRGB bytes and 16-bit linear light, built once: a `powf` per channel
/// per pixel made the mip chain of a repainted dashboard cost more than painting it.
struct SrgbTables {
    to_linear16: [u16; 256],
    from_linear16: Box<[u8]>,
}

static SRGB_TABLES: std::sync::LazyLock<SrgbTables> = std::sync::LazyLock::new(|| SrgbTables {
    to_linear16: std::array::from_fn(|i| (srgb_decode(i as f32 / 255.0) * 65535.0).round() as u16),
    from_linear16: (0..=u16::MAX)
        .map(|l| {
            (srgb_encode(f32::from(l) / 65535.0) * 255.0)
                .round()
                .clamp(0.0, 255.0) as u8
        })
        .collect(),
});

/// A small deterministic hash of two integers into 0..1, for stone and paving variation.
pub fn noise(x: u32, y: u32, seed: u32) -> f32 {
    let mut h = x
        .wrapping_mul(0x27d4_eb2d)
        .wrapping_add(y.wrapping_mul(0x1656_67b1))
        .wrapping_add(seed.wrapping_mul(0x9e37_79b9));
    h ^= h >> 15;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    (h & 0xffff) as f32 / 65535.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srgb_tables_round_trip_and_round_like_the_formula() {
        let encode = |c: f32| (srgb_encode(c) * 255.0).round().clamp(0.0, 255.0) as u8;
        for byte in 0..=255_u8 {
            assert_eq!(linear_to_srgb(srgb_to_linear(byte)), byte);
        }
        for step in 0..=10_000 {
            let linear = step as f32 / 10_000.0;
            let (table, formula) = (linear_to_srgb(linear), encode(linear));
            assert!(
                table.abs_diff(formula) <= 1,
                "{linear}: {table} vs {formula}"
            );
        }
        assert_eq!(linear_to_srgb(-0.5), 0);
        assert_eq!(linear_to_srgb(2.0), 255);
        assert_eq!(linear_to_srgb(0.214), encode(0.214));
    }

    #[test]
    fn embedded_fonts_cover_every_sign_in_the_shipped_plaza() {
        let layout = crate::scene::layout::PlazaLayout::embedded().expect("embedded layout");
        for bytes in [BOLD_FONT, REGULAR_FONT] {
            let font = embedded_font(bytes);
            let mut texts = vec![layout.name.en.clone(), layout.name.zh_cn.clone()];
            for window in &layout.windows {
                texts.extend([window.sign.en.clone(), window.sign.zh_cn.clone()]);
            }
            for dashboard in &layout.dashboards {
                texts.extend([dashboard.title.en.clone(), dashboard.title.zh_cn.clone()]);
            }
            for text in texts {
                assert_eq!(missing_glyphs(&font, &text), Vec::<char>::new(), "{text}");
            }
        }
    }

    #[test]
    fn a_font_without_a_glyph_is_reported() {
        let font = embedded_font(BOLD_FONT);
        // Hangul is outside the Simplified Chinese subset.
        assert_eq!(missing_glyphs(&font, "Seoul 서울"), vec!['서', '울']);
    }

    #[test]
    fn drawn_text_changes_pixels_and_stays_inside_the_canvas() {
        let font = embedded_font(BOLD_FONT);
        let mut canvas = Canvas::new(256, 64, [255, 255, 255, 255]);
        let line = TextLine {
            text: "A very long line that must shrink to fit 市民广场",
            size: 0.5,
            colour: [0, 0, 0],
        };
        canvas.draw_lines(&font, &[line], 0, 64);
        let dark = (0..64)
            .flat_map(|y| (0..256).map(move |x| (x, y)))
            .filter(|&(x, y)| canvas.pixel(x, y)[0] < 128)
            .collect::<Vec<_>>();
        assert!(
            dark.len() > 200,
            "text drew only {} dark pixels",
            dark.len()
        );
        // Shrunk to fit: nothing is drawn in the 5% margins.
        assert!(dark.iter().all(|&(x, _)| (12..244).contains(&x)));
    }

    #[test]
    fn mip_chain_reaches_one_pixel_and_keeps_average_brightness() {
        let mut canvas = Canvas::new(64, 16, [0, 0, 0, 255]);
        canvas.fill_rect(0, 0, 32, 16, [255, 255, 255, 255]);
        let image = canvas.into_image(true);
        assert_eq!(image.texture_descriptor.mip_level_count, 7);
        let data = image.data.expect("pixel data");
        // 64x16 + 32x8 + 16x4 + 8x2 + 4x1 + 2x1 + 1x1 pixels.
        assert_eq!(data.len(), 4 * (1024 + 256 + 64 + 16 + 4 + 2 + 1));
        // Half white, half black averaged in linear light is ~188 in sRGB, not 128.
        let last = &data[data.len() - 4..];
        assert!((180..=195).contains(&last[0]), "last mip is {last:?}");
    }
}
