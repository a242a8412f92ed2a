//! The console font: our own 5x8-pixel glyphs for printable ASCII, drawn in
//! `font/glyphs.txt` and turned into bit rows at compile time, so the ROM and the host tests
//! read the very same table.

/// Glyph width and height in pixels.
pub const GLYPH_WIDTH: usize = 5;
pub const GLYPH_HEIGHT: usize = 8;
/// The first and last character with a glyph; others are drawn as [`REPLACEMENT`].
pub const FIRST: u8 = b' ';
pub const LAST: u8 = b'~';
/// What a byte without a glyph is drawn as.
pub const REPLACEMENT: u8 = b'?';
const COUNT: usize = (LAST - FIRST + 1) as usize;

/// One row per byte, bit 4 = leftmost pixel.
pub type Glyph = [u8; GLYPH_HEIGHT];

static GLYPHS: [Glyph; COUNT] = parse(include_bytes!("font/glyphs.txt"));

/// The glyph of `byte` ([`REPLACEMENT`]'s when it has none).
pub fn glyph(byte: u8) -> &'static Glyph {
    let byte = if (FIRST..=LAST).contains(&byte) {
        byte
    } else {
        REPLACEMENT
    };
    &GLYPHS[(byte - FIRST) as usize]
}

/// Whether pixel (`x`, `y`) of `byte`'s glyph is ink.
pub fn ink(byte: u8, x: usize, y: usize) -> bool {
    x < GLYPH_WIDTH && y < GLYPH_HEIGHT && glyph(byte)[y] & (0x10 >> x) != 0
}

/// Reads the glyph file: text before the first `-- ` label line is a comment; each label is
/// followed by [`GLYPH_HEIGHT`] rows of [`GLYPH_WIDTH`] `#`/`.` characters. A malformed file
/// stops the build (a panic in a constant is a compile error).
const fn parse(text: &[u8]) -> [Glyph; COUNT] {
    let mut glyphs = [[0u8; GLYPH_HEIGHT]; COUNT];
    let mut at = 0;
    let mut index = 0;
    while at < text.len() {
        let line_start = at;
        while at < text.len() && text[at] != b'\n' {
            at += 1;
        }
        let is_label = at - line_start >= 3
            && text[line_start] == b'-'
            && text[line_start + 1] == b'-'
            && text[line_start + 2] == b' ';
        at += 1; // past the newline
        if !is_label {
            assert!(index == 0, "glyphs.txt: a line outside a glyph");
            continue;
        }
        assert!(
            index < COUNT,
            "glyphs.txt: more glyphs than printable ASCII"
        );
        let mut row = 0;
        while row < GLYPH_HEIGHT {
            let mut bits = 0u8;
            let mut column = 0;
            while column < GLYPH_WIDTH {
                assert!(at < text.len(), "glyphs.txt: a glyph is cut short");
                bits <<= 1;
                match text[at] {
                    b'#' => bits |= 1,
                    b'.' => {}
                    _ => panic!("glyphs.txt: rows hold 5 of `#` or `.`"),
                }
                at += 1;
                column += 1;
            }
            assert!(
                at >= text.len() || text[at] == b'\n',
                "glyphs.txt: a row is longer than 5"
            );
            at += 1;
            glyphs[index][row] = bits;
            row += 1;
        }
        index += 1;
    }
    assert!(
        index == COUNT,
        "glyphs.txt: fewer glyphs than printable ASCII"
    );
    glyphs
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;

    fn art(byte: u8) -> String {
        let mut text = String::new();
        for y in 0..GLYPH_HEIGHT {
            for x in 0..GLYPH_WIDTH {
                text.push(if ink(byte, x, y) { '#' } else { '.' });
            }
            text.push('\n');
        }
        text
    }

    #[test]
    fn labels_are_in_ascii_order() {
        let text = include_str!("font/glyphs.txt");
        let labels: std::vec::Vec<&str> =
            text.lines().filter_map(|l| l.strip_prefix("-- ")).collect();
        assert_eq!(labels.len(), COUNT);
        for (i, label) in labels.iter().enumerate() {
            let expected = (FIRST + i as u8) as char;
            let shown = if expected == ' ' {
                "space".into()
            } else {
                String::from(expected)
            };
            assert_eq!(*label, shown, "glyph {i}");
        }
    }

    #[test]
    fn glyphs_read_back_as_drawn() {
        assert_eq!(
            art(b'A'),
            ".###.\n#...#\n#...#\n#####\n#...#\n#...#\n#...#\n.....\n"
        );
        assert_eq!(art(b'g').lines().last(), Some(".###."), "g has a descender");
        assert!(art(b' ').chars().all(|c| c != '#'));
        // Bytes without a glyph look like '?'.
        assert_eq!(art(0x7F), art(b'?'));
        assert_eq!(art(b'\n'), art(b'?'));
        // Every other printable glyph has ink and is distinct from every other.
        for a in FIRST + 1..=LAST {
            assert!(art(a).contains('#'), "{} is blank", a as char);
            for b in a + 1..=LAST {
                assert_ne!(
                    glyph(a),
                    glyph(b),
                    "{} and {} look alike",
                    a as char,
                    b as char
                );
            }
        }
    }
}
