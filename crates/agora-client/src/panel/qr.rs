//! A receipt's compact code as a QR code (`qrcode`), drawn on the panel and, for tests and
//! `agora verify`, read back from a picture (`rqrr`).

use bevy_egui::egui;
use qrcode::{Color, EcLevel, QrCode};

/// The quiet zone around the code, in modules, as ISO/IEC 18004 asks.
const QUIET: usize = 4;

/// The code's modules, dark ones `true`, row by row, with the quiet zone; and the side.
/// Medium error correction (15 %): a screen's glare and a phone's focus are forgiven.
pub fn modules(text: &str) -> Option<(usize, Vec<bool>)> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let side = width + 2 * QUIET;
    let colors = code.to_colors();
    let mut dark = vec![false; side * side];
    for y in 0..width {
        for x in 0..width {
            dark[(y + QUIET) * side + x + QUIET] = colors[y * width + x] == Color::Dark;
        }
    }
    Some((side, dark))
}

/// The code as an image of `scale` pixels a module, black on white.
pub fn image(text: &str, scale: usize) -> Option<egui::ColorImage> {
    let (side, dark) = modules(text)?;
    let size = side * scale;
    let mut pixels = Vec::with_capacity(size * size);
    for y in 0..size {
        for x in 0..size {
            pixels.push(if dark[(y / scale) * side + x / scale] {
                egui::Color32::BLACK
            } else {
                egui::Color32::WHITE
            });
        }
    }
    Some(egui::ColorImage::new([size, size], pixels))
}

/// Every QR code's text found in a greyscale picture (`luma` row by row, `width` wide).
pub fn read(width: usize, height: usize, luma: &[u8]) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        luma.get(y * width + x).copied().unwrap_or(255)
    });
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect()
}

/// Every QR code's text in a PNG file, or why it cannot be read.
pub fn read_png(path: &std::path::Path) -> Result<Vec<String>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder
        .read_info()
        .map_err(|e| format!("{} is not a PNG picture: {e}", path.display()))?;
    let mut buffer = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let info = reader
        .next_frame(&mut buffer)
        .map_err(|e| format!("{} is not a PNG picture: {e}", path.display()))?;
    let channels = info.color_type.samples();
    let (width, height) = (info.width as usize, info.height as usize);
    let luma: Vec<u8> = buffer[..info.buffer_size()]
        .chunks(channels)
        .map(|px| match px {
            [g] | [g, _] => *g,
            [r, g, b, ..] => {
                ((u32::from(*r) * 299 + u32::from(*g) * 587 + u32::from(*b) * 114) / 1000) as u8
            }
            [] => 255,
        })
        .collect();
    Ok(read(width, height, &luma))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drawn_code_reads_back() {
        let text = "AGR1:6BFOXN*TS0BI$ZDFRH%ACB$D:L+FHR5VJ2K1D.N";
        let picture = image(text, 3).expect("fits");
        let [w, h] = picture.size;
        let luma: Vec<u8> = picture.pixels.iter().map(|c| c.r()).collect();
        assert_eq!(read(w, h, &luma), vec![text.to_owned()]);
    }
}
