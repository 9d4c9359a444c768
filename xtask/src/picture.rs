//! Checks that a rendered PNG is a real picture of the plaza: sky above, paving below,
//! the departments' colours on the signs between, and plenty of detail.

use std::collections::HashSet;
use std::fs::File;
use std::path::Path;

use anyhow::{Context, bail};

/// An RGB picture.
pub struct Picture {
    pub width: usize,
    pub height: usize,
    pixels: Vec<[u8; 3]>,
}

impl Picture {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder
            .read_info()
            .with_context(|| format!("{} is not a PNG", path.display()))?;
        let mut buffer = vec![0; reader.output_buffer_size().context("PNG too large")?];
        let info = reader.next_frame(&mut buffer)?;
        let channels = info.color_type.samples();
        if channels < 3 {
            bail!("{} is greyscale, not a rendered frame", path.display());
        }
        let pixels = buffer[..info.buffer_size()]
            .chunks_exact(channels)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        Ok(Self {
            width: info.width as usize,
            height: info.height as usize,
            pixels,
        })
    }

    fn rows(&self, from: f32, to: f32) -> impl Iterator<Item = [u8; 3]> + '_ {
        let (a, b) = (
            (from * self.height as f32) as usize,
            (to * self.height as f32) as usize,
        );
        self.pixels[a * self.width..b * self.width].iter().copied()
    }

    fn mean(pixels: impl Iterator<Item = [u8; 3]>) -> [f32; 3] {
        let (mut sum, mut n) = ([0.0_f32; 3], 0.0_f32);
        for p in pixels {
            for c in 0..3 {
                sum[c] += f32::from(p[c]);
            }
            n += 1.0;
        }
        sum.map(|s| s / n.max(1.0))
    }
}

/// Hue in degrees and saturation in 0..1 of an sRGB colour.
fn hue_saturation([r, g, b]: [u8; 3]) -> (f32, f32) {
    let [r, g, b] = [r, g, b].map(|c| f32::from(c) / 255.0);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let delta = max - min;
    if max <= 0.0 || delta <= 0.0 {
        return (0.0, 0.0);
    }
    let hue = if max == r {
        60.0 * ((g - b) / delta).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / delta + 2.0)
    } else {
        60.0 * ((r - g) / delta + 4.0)
    };
    (hue, delta / max)
}

/// The checks; returns a one-line summary of what was measured.
pub fn check_plaza_overview(path: &Path) -> anyhow::Result<String> {
    let picture = Picture::load(path)?;
    check(&picture).with_context(|| format!("{} does not look like the plaza", path.display()))
}

fn check(picture: &Picture) -> anyhow::Result<String> {
    let mut problems = Vec::new();

    // Many distinct colours (quantised to 5 bits a channel, so noise does not count). A blank
    // or flat frame has a handful; sky and ground alone, a few hundred.
    let distinct: HashSet<[u8; 3]> = picture.pixels.iter().map(|p| p.map(|c| c >> 3)).collect();
    if distinct.len() < 1000 {
        problems.push(format!(
            "only {} distinct colours (expected ≥ 1000)",
            distinct.len()
        ));
    }

    // Sky: a good share of the top fifth is bright blue.
    let (sky, sky_share) = {
        let top: Vec<[u8; 3]> = picture.rows(0.0, 0.2).collect();
        let blue: Vec<[u8; 3]> = top
            .iter()
            .copied()
            .filter(|p| p[2] > 150 && i32::from(p[2]) > i32::from(p[0]) + 20)
            .collect();
        (
            Picture::mean(blue.iter().copied()),
            blue.len() as f32 / top.len().max(1) as f32,
        )
    };
    if sky_share < 0.08 {
        problems.push(format!(
            "no sky: only {:.0}% of the top of the picture is sky-blue",
            100.0 * sky_share
        ));
    }

    // Ground: the bottom sixth is warm stone — not blue, not dark.
    let ground = Picture::mean(picture.rows(0.84, 1.0));
    if !(ground[0] >= ground[2] && ground[0] > 110.0) {
        problems.push(format!(
            "the bottom of the picture is not paving (mean {ground:?})"
        ));
    }

    // Signs: the departments' colours each cover a visible patch of the middle band.
    let hues = [
        ("blue", 200.0, 230.0),
        ("red", 350.0, 370.0),
        ("green", 90.0, 125.0),
        ("orange", 28.0, 45.0),
    ];
    let mut counts = [0usize; 4];
    for pixel in picture.rows(0.2, 0.8) {
        let (hue, saturation) = hue_saturation(pixel);
        let value = pixel.iter().copied().max().unwrap_or(0);
        if saturation < 0.5 || value < 80 {
            continue;
        }
        for (count, (_, from, to)) in counts.iter_mut().zip(hues) {
            if (from..to).contains(&hue) || (from..to).contains(&(hue + 360.0)) {
                *count += 1;
            }
        }
    }
    let summary: Vec<String> = hues
        .iter()
        .zip(counts)
        .map(|((name, ..), count)| format!("{name} {count}"))
        .collect();
    for ((name, ..), count) in hues.iter().zip(counts) {
        if count < 150 {
            problems.push(format!("hardly any {name} from the signs ({count} pixels)"));
        }
    }

    if problems.is_empty() {
        Ok(format!(
            "{}x{}, {} distinct colours, sky {:.0}% of the top (mean {:?}), ground {:?}, \
             accent pixels: {}",
            picture.width,
            picture.height,
            distinct.len(),
            100.0 * sky_share,
            sky.map(|c| c.round()),
            ground.map(|c| c.round()),
            summary.join(", ")
        ))
    } else {
        bail!("{}", problems.join("; "))
    }
}

/// Checks a kiosk's attract screen as cage showed it: exactly the compositor's output (`width`
/// × `height`, so the window filled it), no title bar across the top (a bar is one flat
/// colour; the plaza under its shade is not), and the large light words of "Touch to start".
pub fn check_kiosk_attract(path: &Path, width: usize, height: usize) -> anyhow::Result<String> {
    let picture = Picture::load(path)?;
    check_attract(&picture, width, height).with_context(|| {
        format!(
            "{} does not look like the kiosk's attract screen",
            path.display()
        )
    })
}

fn check_attract(picture: &Picture, width: usize, height: usize) -> anyhow::Result<String> {
    if (picture.width, picture.height) != (width, height) {
        bail!(
            "the window is {}x{}, not the whole {width}x{height} output",
            picture.width,
            picture.height
        );
    }
    let mut problems = Vec::new();
    let quantised = |pixels: &mut dyn Iterator<Item = [u8; 3]>| -> usize {
        pixels
            .map(|p| p.map(|c| c >> 3))
            .collect::<HashSet<_>>()
            .len()
    };
    let distinct = quantised(&mut picture.pixels.iter().copied());
    if distinct < 300 {
        problems.push(format!("only {distinct} distinct colours (expected ≥ 300)"));
    }
    let top = quantised(&mut picture.rows(0.0, 0.04));
    if top < 20 {
        problems.push(format!(
            "the top rows have {top} colours: a title bar or an empty band, not the plaza"
        ));
    }
    let words = picture
        .rows(0.2, 0.6)
        .filter(|p| p.iter().all(|&c| c > 225))
        .count();
    let share = words as f32 / (picture.width * picture.height) as f32;
    if share < 0.005 {
        problems.push(format!(
            "hardly any light lettering in the middle ({:.2}% of the screen)",
            100.0 * share
        ));
    }
    if problems.is_empty() {
        Ok(format!(
            "{width}x{height} (the whole output), {distinct} distinct colours, {top} along the \
             top, lettering {:.1}% of the screen",
            100.0 * share
        ))
    } else {
        bail!("{}", problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uniform(colour: [u8; 3]) -> Picture {
        Picture {
            width: 64,
            height: 64,
            pixels: vec![colour; 64 * 64],
        }
    }

    #[test]
    fn a_blank_frame_fails() {
        let error = check(&uniform([0, 0, 0])).expect_err("black is not a plaza");
        let text = error.to_string();
        assert!(
            text.contains("distinct colours") && text.contains("no sky"),
            "{text}"
        );
    }

    #[test]
    fn a_single_colour_frame_fails_even_when_sky_blue() {
        assert!(check(&uniform([120, 170, 230])).is_err());
    }

    #[test]
    fn an_attract_screen_must_fill_the_output_and_have_no_flat_bar_on_top() {
        let small = uniform([30, 30, 30]);
        let error = check_attract(&small, 1280, 720).expect_err("a small window");
        assert!(
            error.to_string().contains("not the whole 1280x720"),
            "{error}"
        );
        let error = check_attract(&small, 64, 64).expect_err("a flat screen");
        let text = error.to_string();
        assert!(
            text.contains("title bar") && text.contains("lettering"),
            "{text}"
        );
        // A busy picture with white lettering in the middle passes.
        let pixels = (0..64 * 64)
            .map(|i: usize| {
                let (x, y) = (i % 64, i / 64);
                if (20..30).contains(&y) && x % 3 == 0 {
                    [250, 250, 250]
                } else {
                    [(x * 4) as u8, (y * 4) as u8, ((x + y) * 2) as u8]
                }
            })
            .collect();
        let busy = Picture {
            width: 64,
            height: 64,
            pixels,
        };
        check_attract(&busy, 64, 64).expect("a real attract screen");
    }

    #[test]
    fn hues_are_measured_in_degrees() {
        assert_eq!(hue_saturation([255, 0, 0]), (0.0, 1.0));
        assert_eq!(hue_saturation([0, 0, 255]).0, 240.0);
        assert_eq!(hue_saturation([128, 128, 128]).1, 0.0);
    }
}
