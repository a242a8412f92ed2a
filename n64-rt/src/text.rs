//! A text screen: a grid of characters with a colour per row, and how it is drawn into a
//! 320x240 RGBA5551 framebuffer (the format the VI scans out, [`crate::vi`]). Pure code: the ROM
//! draws with it and the host tests (and xtask's screenshot check) draw the expected screen
//! with the same function.

use crate::font::{self, GLYPH_HEIGHT, GLYPH_WIDTH};

/// Framebuffer size in pixels.
pub const WIDTH: usize = 320;
pub const HEIGHT: usize = 240;
/// A character cell: the glyph plus one blank column and two blank rows.
pub const CELL_WIDTH: usize = GLYPH_WIDTH + 1;
pub const CELL_HEIGHT: usize = GLYPH_HEIGHT + 2;
/// Grid size. The margins (10 pixels each side) keep the text inside a TV's overscan.
pub const COLUMNS: usize = 50;
pub const ROWS: usize = 22;
pub const LEFT: usize = (WIDTH - COLUMNS * CELL_WIDTH) / 2;
pub const TOP: usize = (HEIGHT - ROWS * CELL_HEIGHT) / 2;

// The grid fits the framebuffer with margins of at least 8 pixels (checked at compile time).
const _: () = assert!(LEFT >= 8 && TOP >= 8);
const _: () = assert!(LEFT + COLUMNS * CELL_WIDTH <= WIDTH - 8);
const _: () = assert!(TOP + ROWS * CELL_HEIGHT <= HEIGHT - 8);

/// An RGBA5551 colour (5 bits each of red, green, blue, then coverage 1).
pub const fn rgba5551(r: u8, g: u8, b: u8) -> u16 {
    ((r as u16 & 31) << 11) | ((g as u16 & 31) << 6) | ((b as u16 & 31) << 1) | 1
}

pub const BACKGROUND: u16 = rgba5551(1, 2, 9);
pub const WHITE: u16 = rgba5551(31, 31, 31);
pub const GREY: u16 = rgba5551(20, 20, 22);
pub const YELLOW: u16 = rgba5551(31, 29, 6);
pub const GREEN: u16 = rgba5551(10, 31, 12);
pub const CYAN: u16 = rgba5551(12, 28, 31);
pub const RED: u16 = rgba5551(31, 8, 6);

/// The characters on screen. Rows are filled like a terminal by [`TextScreen::write_bytes`]
/// (wrapping at [`COLUMNS`], scrolling when full) or set directly by [`TextScreen::set_row`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TextScreen {
    cells: [[u8; COLUMNS]; ROWS],
    inks: [u16; ROWS],
    row: usize,
    column: usize,
    /// The colour of rows the terminal writing starts.
    pub ink: u16,
}

impl Default for TextScreen {
    fn default() -> Self {
        Self::new()
    }
}

impl TextScreen {
    pub const fn new() -> Self {
        Self {
            cells: [[b' '; COLUMNS]; ROWS],
            inks: [WHITE; ROWS],
            row: 0,
            column: 0,
            ink: WHITE,
        }
    }

    /// Blank screen, cursor at the top left.
    pub fn clear(&mut self) {
        *self = Self {
            ink: self.ink,
            ..Self::new()
        };
    }

    /// Writes text at the cursor: `\n` ends a line, a full line wraps, a full screen scrolls up
    /// one row. Bytes without a glyph are shown as '?'; `\r` is ignored.
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            match byte {
                b'\n' => self.new_line(),
                b'\r' => {}
                _ => {
                    if self.column == COLUMNS {
                        self.new_line();
                    }
                    if self.column == 0 {
                        self.inks[self.row] = self.ink;
                    }
                    self.cells[self.row][self.column] = byte;
                    self.column += 1;
                }
            }
        }
    }

    fn new_line(&mut self) {
        self.column = 0;
        if self.row + 1 < ROWS {
            self.row += 1;
        } else {
            self.cells.copy_within(1.., 0);
            self.inks.copy_within(1.., 0);
            self.cells[ROWS - 1] = [b' '; COLUMNS];
        }
    }

    /// Replaces row `row` with `text` (cut at [`COLUMNS`]; the rest of the row blank) in `ink`.
    /// Rows past the grid are ignored.
    pub fn set_row(&mut self, row: usize, text: &[u8], ink: u16) {
        let Some(cells) = self.cells.get_mut(row) else {
            return;
        };
        *cells = [b' '; COLUMNS];
        let n = text.len().min(COLUMNS);
        cells[..n].copy_from_slice(&text[..n]);
        self.inks[row] = ink;
    }

    /// Moves the cursor (for [`TextScreen::write_bytes`]) to the start of `row`.
    pub fn move_to_row(&mut self, row: usize) {
        self.row = row.min(ROWS - 1);
        self.column = 0;
    }

    /// The characters of `row` with trailing blanks removed.
    pub fn row_text(&self, row: usize) -> &[u8] {
        let cells = &self.cells[row];
        let end = cells.iter().rposition(|&c| c != b' ').map_or(0, |i| i + 1);
        &cells[..end]
    }

    pub fn row_ink(&self, row: usize) -> u16 {
        self.inks[row]
    }

    /// Draws the whole screen into `framebuffer` ([`WIDTH`] x [`HEIGHT`], row-major).
    pub fn render(&self, framebuffer: &mut [u16]) {
        assert_eq!(framebuffer.len(), WIDTH * HEIGHT, "framebuffer size");
        framebuffer.fill(BACKGROUND);
        for (row, cells) in self.cells.iter().enumerate() {
            let ink = self.inks[row];
            for (column, &byte) in cells.iter().enumerate() {
                if byte == b' ' {
                    continue;
                }
                let glyph = font::glyph(byte);
                let x0 = LEFT + column * CELL_WIDTH;
                let y0 = TOP + row * CELL_HEIGHT;
                for (dy, bits) in glyph.iter().enumerate() {
                    let line = &mut framebuffer[(y0 + dy) * WIDTH + x0..][..GLYPH_WIDTH];
                    for (dx, pixel) in line.iter_mut().enumerate() {
                        if bits & (0x10 >> dx) != 0 {
                            *pixel = ink;
                        }
                    }
                }
            }
        }
    }
}

impl core::fmt::Write for TextScreen {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        self.write_bytes(text.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;

    #[test]
    fn writing_wraps_and_scrolls_like_a_terminal() {
        let mut screen = TextScreen::new();
        screen.write_bytes(b"hello\nworld");
        assert_eq!(screen.row_text(0), b"hello");
        assert_eq!(screen.row_text(1), b"world");
        let long = [b'x'; COLUMNS + 3];
        screen.write_bytes(b"\n");
        screen.write_bytes(&long);
        assert_eq!(screen.row_text(2).len(), COLUMNS);
        assert_eq!(screen.row_text(3), b"xxx");
        for _ in 0..ROWS {
            screen.write_bytes(b"\nmore");
        }
        assert_eq!(screen.row_text(ROWS - 1), b"more");
        assert_eq!(screen.row_text(0), b"more", "the first rows scrolled away");
    }

    #[test]
    fn rendering_puts_each_glyph_pixel_in_its_cell() {
        let mut screen = TextScreen::new();
        screen.set_row(1, b"A", YELLOW);
        screen.set_row(2, &[b'x'; COLUMNS + 10], GREEN);
        let mut fb = vec![0u16; WIDTH * HEIGHT];
        screen.render(&mut fb);
        let at = |x: usize, y: usize| fb[y * WIDTH + x];
        let (x0, y0) = (LEFT, TOP + CELL_HEIGHT);
        // 'A' row 0 is .###. ; row 3 is #####.
        assert_eq!(at(x0, y0), BACKGROUND);
        assert_eq!(at(x0 + 1, y0), YELLOW);
        assert_eq!(at(x0 + 4, y0 + 3), YELLOW);
        assert_eq!(at(x0 + 5, y0 + 3), BACKGROUND, "the blank column");
        let ink = fb.iter().filter(|&&p| p == YELLOW).count();
        let glyph_ink: u32 = font::glyph(b'A').iter().map(|r| r.count_ones()).sum();
        assert_eq!(ink as u32, glyph_ink);
        // The long row was cut at the grid, nothing drawn in the right margin.
        assert_eq!(screen.row_text(2).len(), COLUMNS);
        let right_margin = LEFT + COLUMNS * CELL_WIDTH;
        for y in 0..HEIGHT {
            for x in right_margin..WIDTH {
                assert_eq!(at(x, y), BACKGROUND);
            }
        }
        assert_eq!(rgba5551(31, 31, 31), 0xFFFF);
    }
}
