//! Compares what cen64 showed (a screenshot) with the screen the host draws with the ROM's own
//! code (`n64_rt::text::TextScreen::render`), pixel by pixel.
//!
//! cen64 draws the VI's 320-pixel lines as an OpenGL texture with nearest filtering (AA mode 3,
//! `vi/render.c`) over its window: each framebuffer pixel becomes a block of window pixels. The
//! window is found as the bounding box of non-black pixels (our background is not black), its
//! scale from its width (320 pixels), and each framebuffer pixel is read at the centre of its
//! block. RGBA5551 channels become 8-bit as GL converts normalised values (c * 255 / 31,
//! rounded); a tolerance of 3 absorbs rounding in the GL path. Every compared pixel must match.

use crate::process::describe;
use crate::Result;
use n64_rt::text::{TextScreen, HEIGHT, WIDTH};
use std::path::Path;
use std::process::Command;

/// An 8-bit RGB image.
#[derive(Debug)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

impl Image {
    fn at(&self, x: usize, y: usize) -> [u8; 3] {
        let i = 3 * (y * self.width + x);
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }
}

/// Reads a PNG (or anything ImageMagick reads) through `convert FILE ppm:-`.
pub fn read_image(path: &Path) -> Result<Image> {
    let mut cmd = Command::new("convert");
    cmd.arg(path).arg("ppm:-");
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(&cmd)))?;
    if !out.status.success() {
        return Err(format!(
            "`{}` failed: {}",
            describe(&cmd),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse_ppm(&out.stdout).map_err(|e| format!("{}: {e}", path.display()))
}

/// A binary PPM (P6, maxval 255).
pub fn parse_ppm(bytes: &[u8]) -> Result<Image> {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if at < bytes.len() && bytes[at] == b'#' {
            while at < bytes.len() && bytes[at] != b'\n' {
                at += 1;
            }
            continue;
        }
        let start = at;
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if start == at {
            return Err("PPM header cut short".into());
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    at += 1; // the single whitespace after maxval
    let number = |i: usize| -> Result<usize> {
        fields[i]
            .parse()
            .map_err(|_| format!("PPM header field {:?} is not a number", fields[i]))
    };
    if fields[0] != "P6" || number(3)? != 255 {
        return Err(format!("not an 8-bit binary PPM (header {fields:?})"));
    }
    let (width, height) = (number(1)?, number(2)?);
    let rgb = bytes
        .get(at..at + 3 * width * height)
        .ok_or("PPM data cut short")?;
    Ok(Image {
        width,
        height,
        rgb: rgb.to_vec(),
    })
}

/// An RGBA5551 pixel as 8-bit RGB, the way GL converts it.
pub fn rgb8(pixel: u16) -> [u8; 3] {
    let channel = |c: u16| ((c as u32 * 255 + 15) / 31) as u8;
    [
        channel(pixel >> 11 & 31),
        channel(pixel >> 6 & 31),
        channel(pixel >> 1 & 31),
    ]
}

const TOLERANCE: u8 = 3;

/// Compares the screenshot with `expected` drawn on the host. Returns how many framebuffer
/// lines were visible and compared.
pub fn compare(shot: &Image, expected: &TextScreen) -> Result<usize> {
    let mut framebuffer = vec![0u16; WIDTH * HEIGHT];
    expected.render(&mut framebuffer);
    // The window: the bounding box of non-black pixels.
    let (mut left, mut top, mut right, mut bottom) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..shot.height {
        for x in 0..shot.width {
            if shot.at(x, y) != [0, 0, 0] {
                left = left.min(x);
                right = right.max(x + 1);
                top = top.min(y);
                bottom = bottom.max(y + 1);
            }
        }
    }
    if left == usize::MAX {
        return Err("the screenshot is black: the ROM showed nothing".into());
    }
    let scale = (right - left) as f64 / WIDTH as f64;
    if scale < 1.0 {
        return Err(format!(
            "the picture is {} pixels wide, less than the framebuffer's {WIDTH}",
            right - left
        ));
    }
    let lines = (((bottom - top) as f64 / scale).round() as usize).min(HEIGHT);
    let mut mismatches = Vec::new();
    for y in 0..lines {
        for x in 0..WIDTH {
            let sx = left + ((x as f64 + 0.5) * scale) as usize;
            let sy = top + ((y as f64 + 0.5) * scale) as usize;
            let got = shot.at(sx.min(shot.width - 1), sy.min(shot.height - 1));
            let want = rgb8(framebuffer[y * WIDTH + x]);
            if got.iter().zip(want).any(|(g, w)| g.abs_diff(w) > TOLERANCE) {
                mismatches.push((x, y, got, want));
            }
        }
    }
    if let Some(&(x, y, got, want)) = mismatches.first() {
        return Err(format!(
            "{} of {} framebuffer pixels differ from the host's drawing; the first at ({x}, {y}) \
             (text row {}): screen {got:?}, expected {want:?}",
            mismatches.len(),
            lines * WIDTH,
            y.saturating_sub(n64_rt::text::TOP) / n64_rt::text::CELL_HEIGHT
        ));
    }
    Ok(lines)
}

/// The screen the panic handler draws (`n64_rt::vi::show_panic`) for a panic whose message
/// the ROM printed as `message_lines` on the IS-Viewer.
pub fn panic_screen(message_lines: &[String]) -> TextScreen {
    let mut screen = TextScreen::new();
    screen.ink = n64_rt::text::RED;
    screen.write_bytes(b"PANIC\n");
    screen.write_bytes(message_lines.join("\n").as_bytes());
    screen.write_bytes(b"\n");
    screen
}

#[cfg(test)]
mod tests {
    use super::*;
    use n64_rt::text::{GREEN, WHITE};

    /// What cen64 shows: the framebuffer scaled 2x with nearest filtering, only `lines` lines,
    /// black below.
    fn shot_of(screen: &TextScreen, lines: usize) -> Image {
        let mut fb = vec![0u16; WIDTH * HEIGHT];
        screen.render(&mut fb);
        let (width, height) = (2 * WIDTH, 480);
        let mut rgb = vec![0u8; 3 * width * height];
        for y in 0..2 * lines {
            for x in 0..width {
                let pixel = rgb8(fb[(y / 2) * WIDTH + x / 2]);
                rgb[3 * (y * width + x)..][..3].copy_from_slice(&pixel);
            }
        }
        Image { width, height, rgb }
    }

    #[test]
    fn a_faithful_picture_matches_and_one_wrong_glyph_does_not() {
        let mut screen = TextScreen::new();
        screen.set_row(0, b"rspnn chat", WHITE);
        screen.set_row(11, b"A: The RSP runs microcode", GREEN);
        assert_eq!(compare(&shot_of(&screen, 237), &screen).unwrap(), 237);

        let mut other = screen.clone();
        other.set_row(11, b"A: The RSP runs microcodE", GREEN);
        let error = compare(&shot_of(&other, 237), &screen).unwrap_err();
        assert!(error.contains("text row 11"), "{error}");

        let black = Image {
            width: 640,
            height: 480,
            rgb: vec![0; 640 * 480 * 3],
        };
        assert!(compare(&black, &screen).unwrap_err().contains("black"));
    }

    #[test]
    fn ppm_headers_are_read_and_bad_ones_named() {
        let mut ppm = b"P6\n# made by hand\n2 1\n255\n".to_vec();
        ppm.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        let image = parse_ppm(&ppm).unwrap();
        assert_eq!((image.width, image.height), (2, 1));
        assert_eq!(image.at(1, 0), [4, 5, 6]);
        assert!(parse_ppm(b"P3\n1 1\n255\n1 2 3").is_err());
        assert!(parse_ppm(b"P6\n4 4\n255\n\x00")
            .unwrap_err()
            .contains("cut short"));
        assert_eq!(rgb8(0xFFFF), [255, 255, 255]);
        assert_eq!(rgb8(0x0001), [0, 0, 0]);
    }
}
