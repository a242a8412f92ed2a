//! The chat ROM's screen and script, kept in the library so the host draws the very screen the
//! ROM draws (xtask's screenshot check) and tests it.
//!
//! The screen ([`ChatView::draw`] on a [`TextScreen`]): a title, the model and RDRAM line, the
//! question list (d-pad moves, A asks), the last question and its answer streamed token by
//! token, which processor answers (B toggles RSP / VR4300), the measured tokens/s of each and
//! the share of CPU time the game kept while the RSP computed, and a help line. The last list
//! entry opens an on-screen keyboard ([`Keyboard`]) for a question of the player's own.

use crate::textgen::Escaped;
use core::fmt::Write;
use n64_rt::text::{TextScreen, COLUMNS, CYAN, GREEN, GREY, RED, WHITE, YELLOW};

/// Questions the player picks from (the training corpus's questions; the first three are the
/// textgen demo's prompts).
pub const QUESTIONS: [&str; 5] = [
    "Who are you?",
    "How fast is the CPU?",
    "What is the RSP?",
    "What do you eat?",
    "Can you see me?",
];

/// The attract-mode round: questions asked on the RSP, in order.
pub const ATTRACT_SCRIPT: [usize; 3] = [0, 1, 2];
/// Bytes the attract round generates on the VR4300 for its first question (the scalar path is
/// ~100x slower: a few bytes show its tokens/s without making CI wait).
pub const ATTRACT_SCALAR_BYTES: usize = 4;
/// Frames without input before attract mode starts (3 s at 60 Hz).
pub const ATTRACT_AFTER_FRAMES: u32 = 180;
/// Most bytes of an answer (what `rspnn generate --stop-at-newline` bounds with `--max 64`).
pub const ANSWER_MAX: usize = 64;
/// Longest question the keyboard takes (and the longest listed one fits).
pub const QUESTION_MAX: usize = 40;
/// Longest prompt: "Q: " + question + "\nA:".
pub const PROMPT_MAX: usize = QUESTION_MAX + 6;

/// Count ticks per second (CP0 Count runs at half the 93.75 MHz CPU clock).
pub const COUNT_HZ: u64 = 46_875_000;

/// The prompt for question `index` in the corpus format (`Q: ...\nA:`), written into `buf`.
pub fn prompt(index: usize, buf: &mut [u8; PROMPT_MAX]) -> &[u8] {
    prompt_for(QUESTIONS[index].as_bytes(), buf)
}

/// The prompt for a question's text (cut at [`QUESTION_MAX`] bytes).
pub fn prompt_for<'b>(question: &[u8], buf: &'b mut [u8; PROMPT_MAX]) -> &'b [u8] {
    let question = &question[..question.len().min(QUESTION_MAX)];
    let parts: [&[u8]; 3] = [b"Q: ", question, b"\nA:"];
    let mut len = 0;
    for part in parts {
        buf[len..len + part.len()].copy_from_slice(part);
        len += part.len();
    }
    &buf[..len]
}

/// The on-screen keyboard's character keys, row by row; below them the row of [`SPECIAL`] keys.
pub const KEY_ROWS: [&[u8]; 5] = [
    b"ABCDEFGHIJKLM",
    b"NOPQRSTUVWXYZ",
    b"abcdefghijklm",
    b"nopqrstuvwxyz",
    b"0123456789?!,",
];
/// The last keyboard row.
pub const SPECIAL: [&str; 3] = ["space", "delete", "ask"];

/// What pressing the selected key did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAction {
    /// The text changed (or was full).
    Edited,
    /// "ask" with some text: ask it.
    Ask,
}

/// The on-screen keyboard: a cursor over [`KEY_ROWS`] and [`SPECIAL`], and the text typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyboard {
    pub row: usize,
    pub column: usize,
    text: [u8; QUESTION_MAX],
    len: usize,
}

impl Default for Keyboard {
    fn default() -> Self {
        Self::new()
    }
}

impl Keyboard {
    pub const fn new() -> Self {
        Self {
            row: 0,
            column: 0,
            text: [0; QUESTION_MAX],
            len: 0,
        }
    }

    pub fn text(&self) -> &[u8] {
        &self.text[..self.len]
    }

    fn row_len(row: usize) -> usize {
        KEY_ROWS.get(row).map_or(SPECIAL.len(), |keys| keys.len())
    }

    /// Moves the cursor; it wraps around at the edges and stays on a key when rows differ in
    /// length.
    pub fn move_by(&mut self, dx: isize, dy: isize) {
        let rows = KEY_ROWS.len() + 1;
        self.row = (self.row as isize + dy).rem_euclid(rows as isize) as usize;
        let len = Self::row_len(self.row);
        self.column = (self.column.min(len - 1) as isize + dx).rem_euclid(len as isize) as usize;
    }

    /// Presses the key under the cursor.
    pub fn press(&mut self) -> KeyAction {
        let typed = match KEY_ROWS.get(self.row) {
            Some(keys) => keys[self.column],
            None => match SPECIAL[self.column] {
                "space" => b' ',
                "delete" => {
                    self.len = self.len.saturating_sub(1);
                    return KeyAction::Edited;
                }
                _ => {
                    return if self.len > 0 {
                        KeyAction::Ask
                    } else {
                        KeyAction::Edited
                    }
                }
            },
        };
        if self.len < QUESTION_MAX {
            self.text[self.len] = typed;
            self.len += 1;
        }
        KeyAction::Edited
    }

    /// Draws the text being typed and the keys (the selected one in brackets) from row `top`.
    pub fn draw(&self, screen: &mut TextScreen, top: usize) {
        screen.set_row(
            top,
            b"Type a question: A types, START asks, B leaves",
            WHITE,
        );
        screen.set_row(
            top + 1,
            line(format_args!("> {}_", Escaped(self.text()))).text(),
            CYAN,
        );
        for row in 0..=KEY_ROWS.len() {
            let mut l = Line::new();
            for column in 0..Self::row_len(row) {
                let (open, close) = if (row, column) == (self.row, self.column) {
                    ('[', ']')
                } else {
                    (' ', ' ')
                };
                let _ = match KEY_ROWS.get(row) {
                    Some(keys) => write!(l, "{open}{}{close}", keys[column] as char),
                    None => write!(l, "{open}{}{close} ", SPECIAL[column]),
                };
            }
            screen.set_row(top + 2 + row, l.text(), GREY);
        }
    }
}

/// Which processor runs the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Rsp,
    Vr4300,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Rsp => "RSP",
            Engine::Vr4300 => "VR4300",
        }
    }

    pub fn other(self) -> Self {
        match self {
            Engine::Rsp => Engine::Vr4300,
            Engine::Vr4300 => Engine::Rsp,
        }
    }
}

/// Measured generation speed: steps (one model step per byte fed) and the Count ticks they
/// took, and for the RSP the ticks the game ran meanwhile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Speed {
    pub steps: u64,
    pub ticks: u64,
    pub game_ticks: u64,
}

impl Speed {
    /// Tokens per second, in tenths.
    pub fn tenths_per_second(&self) -> Option<u64> {
        (self.steps > 0 && self.ticks > 0).then(|| self.steps * COUNT_HZ * 10 / self.ticks)
    }

    /// The share of the CPU the game kept, in tenths of a percent.
    pub fn game_permille(&self) -> Option<u64> {
        (self.ticks > 0).then(|| self.game_ticks * 1000 / self.ticks)
    }
}

/// Everything the chat screen shows.
#[derive(Clone, Debug)]
pub struct ChatView {
    /// "4 layers, width 128, context 64" etc., or why there is no model.
    pub model_line: [u8; COLUMNS],
    pub model_line_len: usize,
    pub engine: Engine,
    /// The list entry under the cursor ([`QUESTIONS`], then "type your own").
    pub selected: usize,
    /// The keyboard, while the player types.
    pub keyboard: Option<Keyboard>,
    question: [u8; QUESTION_MAX],
    question_len: usize,
    asked: bool,
    pub answer: [u8; ANSWER_MAX],
    pub answer_len: usize,
    pub rsp: Speed,
    pub vr4300: Speed,
    pub attract: bool,
    pub controller: bool,
    /// Why the chat cannot run (shown in red instead of the answer), up to 3 rows.
    error: [u8; 3 * COLUMNS],
    error_len: usize,
}

/// Screen rows.
pub const ROW_TITLE: usize = 0;
pub const ROW_MODEL: usize = 1;
pub const ROW_PICK: usize = 3;
pub const ROW_LIST: usize = 4;
pub const ROW_QUESTION: usize = 12;
pub const ROW_ANSWER: usize = 13;
pub const ROW_ENGINE: usize = 17;
pub const ROW_RSP_SPEED: usize = 18;
pub const ROW_VR4300_SPEED: usize = 19;
pub const ROW_HELP: usize = 21;
/// The list's last entry, after [`QUESTIONS`].
pub const TYPE_YOUR_OWN: &str = "Type your own question...";
/// Entries in the list.
pub const LIST_LEN: usize = QUESTIONS.len() + 1;

/// A row's text, formatted without an allocator.
struct Line {
    bytes: [u8; COLUMNS],
    len: usize,
}

impl Line {
    fn new() -> Self {
        Self {
            bytes: [b' '; COLUMNS],
            len: 0,
        }
    }

    fn text(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if self.len < COLUMNS {
                self.bytes[self.len] = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}

fn line(args: core::fmt::Arguments) -> Line {
    let mut l = Line::new();
    let _ = l.write_fmt(args);
    l
}

fn speed_line(engine: Engine, speed: &Speed) -> Line {
    let name = engine.name();
    match (speed.tenths_per_second(), engine) {
        (None, _) => line(format_args!("{name:>6}: not measured yet")),
        (Some(t), Engine::Rsp) => {
            let keep = speed.game_permille().unwrap_or(0);
            line(format_args!(
                "{name:>6}: {:>5}.{} tokens/s, game keeps {}.{}% CPU",
                t / 10,
                t % 10,
                keep / 10,
                keep % 10
            ))
        }
        (Some(t), Engine::Vr4300) => line(format_args!(
            "{name:>6}: {:>5}.{} tokens/s, game stops meanwhile",
            t / 10,
            t % 10
        )),
    }
}

impl ChatView {
    pub fn new() -> Self {
        Self {
            model_line: [b' '; COLUMNS],
            model_line_len: 0,
            engine: Engine::Rsp,
            selected: 0,
            keyboard: None,
            question: [0; QUESTION_MAX],
            question_len: 0,
            asked: false,
            answer: [0; ANSWER_MAX],
            answer_len: 0,
            rsp: Speed::default(),
            vr4300: Speed::default(),
            attract: false,
            controller: false,
            error: [b' '; 3 * COLUMNS],
            error_len: 0,
        }
    }

    /// Shows why the chat cannot run (kept whole up to 3 rows; longer text ends in "...").
    pub fn set_error(&mut self, args: core::fmt::Arguments) {
        let mut full = [b' '; 3 * COLUMNS + 1];
        let mut len = 0;
        let _ = Spill {
            buf: &mut full,
            len: &mut len,
        }
        .write_fmt(args);
        if len > 3 * COLUMNS {
            len = 3 * COLUMNS;
            full[len - 3..len].copy_from_slice(b"...");
        }
        self.error[..len].copy_from_slice(&full[..len]);
        self.error_len = len;
    }

    pub fn error(&self) -> &[u8] {
        &self.error[..self.error_len]
    }

    pub fn set_model_line(&mut self, args: core::fmt::Arguments) {
        let l = line(args);
        self.model_line = l.bytes;
        self.model_line_len = l.len;
    }

    /// Starts a new answer to listed question `index`.
    pub fn ask(&mut self, index: usize) {
        self.ask_text(QUESTIONS[index].as_bytes());
    }

    /// Starts a new answer to `question` (cut at [`QUESTION_MAX`] bytes).
    pub fn ask_text(&mut self, question: &[u8]) {
        let n = question.len().min(QUESTION_MAX);
        self.question[..n].copy_from_slice(&question[..n]);
        self.question_len = n;
        self.asked = true;
        self.answer_len = 0;
    }

    /// The question being answered.
    pub fn question(&self) -> &[u8] {
        &self.question[..self.question_len]
    }

    /// Appends one generated byte to the answer (ignored past [`ANSWER_MAX`]).
    pub fn push_answer(&mut self, byte: u8) {
        if self.answer_len < ANSWER_MAX {
            self.answer[self.answer_len] = byte;
            self.answer_len += 1;
        }
    }

    pub fn answer(&self) -> &[u8] {
        &self.answer[..self.answer_len]
    }

    /// Draws the whole chat screen.
    pub fn draw(&self, screen: &mut TextScreen) {
        screen.clear();
        screen.set_row(
            ROW_TITLE,
            b"rspnn chat: ask Nibble, the cartridge spirit",
            YELLOW,
        );
        screen.set_row(ROW_MODEL, &self.model_line[..self.model_line_len], GREY);
        match &self.keyboard {
            Some(keyboard) => keyboard.draw(screen, ROW_PICK),
            None => {
                screen.set_row(ROW_PICK, b"Pick a question (d-pad), A asks:", WHITE);
                for i in 0..LIST_LEN {
                    let q = QUESTIONS.get(i).copied().unwrap_or(TYPE_YOUR_OWN);
                    let marker = if i == self.selected { '>' } else { ' ' };
                    let ink = if i == self.selected { CYAN } else { GREY };
                    screen.set_row(ROW_LIST + i, line(format_args!("{marker} {q}")).text(), ink);
                }
            }
        }
        if self.error_len > 0 {
            for (k, chunk) in WordWrap(self.error()).enumerate() {
                screen.set_row(ROW_QUESTION + k, chunk, RED);
            }
        } else if self.asked {
            let asked = line(format_args!("Q: {}", Escaped(self.question())));
            screen.set_row(ROW_QUESTION, asked.text(), WHITE);
            // "A:" and 64 bytes fill 2 rows; escaped bytes (`\xHH`) may need up to 4 more.
            let mut full = [b' '; 4 * COLUMNS];
            let mut len = 0;
            let mut w = Spill {
                buf: &mut full,
                len: &mut len,
            };
            let _ = w.write_fmt(format_args!("A:{}", Escaped(self.answer())));
            for (k, chunk) in WordWrap(&full[..len]).enumerate() {
                screen.set_row(ROW_ANSWER + k, chunk, GREEN);
            }
        }
        screen.set_row(
            ROW_ENGINE,
            line(format_args!(
                "Answering on the {} (B: switch to the {})",
                self.engine.name(),
                self.engine.other().name()
            ))
            .text(),
            YELLOW,
        );
        screen.set_row(
            ROW_RSP_SPEED,
            speed_line(Engine::Rsp, &self.rsp).text(),
            WHITE,
        );
        screen.set_row(
            ROW_VR4300_SPEED,
            speed_line(Engine::Vr4300, &self.vr4300).text(),
            WHITE,
        );
        let help: &[u8] = match (self.attract, self.controller) {
            _ if self.error_len > 0 => b"The chat cannot run: see above",
            (true, true) => b"Attract mode: press any button to play",
            (true, false) => b"Attract mode: no controller in port 1",
            (false, _) if self.keyboard.is_some() => b"d-pad: move  A: type  START: ask  B: back",
            (false, _) => b"d-pad: pick  A: ask  B: RSP/VR4300",
        };
        screen.set_row(ROW_HELP, help, GREY);
    }
}

impl Default for ChatView {
    fn default() -> Self {
        Self::new()
    }
}

/// Splits text into rows of at most [`COLUMNS`] bytes, breaking after the last space that fits
/// (the space itself dropped) or, in a word longer than a row, at the row's end.
struct WordWrap<'a>(&'a [u8]);

impl<'a> Iterator for WordWrap<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let text = self.0;
        if text.is_empty() {
            return None;
        }
        if text.len() <= COLUMNS {
            self.0 = &[];
            return Some(text);
        }
        let (row, rest) = match text[..=COLUMNS].iter().rposition(|&b| b == b' ') {
            Some(space) if space > 0 => (&text[..space], &text[space + 1..]),
            _ => (&text[..COLUMNS], &text[COLUMNS..]),
        };
        self.0 = rest;
        Some(row)
    }
}

/// A fixed buffer that keeps what fits.
struct Spill<'a> {
    buf: &'a mut [u8],
    len: &'a mut usize,
}

impl Write for Spill<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if *self.len < self.buf.len() {
                self.buf[*self.len] = b;
                *self.len += 1;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;

    fn row(screen: &TextScreen, r: usize) -> String {
        String::from_utf8(screen.row_text(r).to_vec()).unwrap()
    }

    #[test]
    fn the_keyboard_types_deletes_wraps_and_asks() {
        let mut kb = Keyboard::new();
        assert_eq!(kb.press(), KeyAction::Edited); // 'A'
        kb.move_by(-1, 0); // wraps to 'M'
        kb.press();
        kb.move_by(0, -1); // wraps up to the special row; column 12 stays on a key
        assert_eq!((kb.row, kb.column), (KEY_ROWS.len(), SPECIAL.len() - 1));
        assert_eq!(kb.press(), KeyAction::Ask, "ask");
        kb.move_by(-1, 0); // delete
        kb.press();
        assert_eq!(kb.text(), b"A");
        kb.move_by(-1, 0); // space
        kb.press();
        kb.move_by(0, 1); // wraps down to the first row
        kb.press();
        assert_eq!(kb.text(), b"A A");
        for _ in 0..QUESTION_MAX {
            kb.press();
        }
        assert_eq!(kb.text().len(), QUESTION_MAX, "full text stays full");
        let mut empty = Keyboard::new();
        empty.move_by(2, -1);
        assert_eq!(
            empty.press(),
            KeyAction::Edited,
            "asking nothing does nothing"
        );

        let mut screen = TextScreen::new();
        let mut view = ChatView::new();
        let mut typed = Keyboard::new();
        typed.press();
        typed.move_by(1, 0);
        view.keyboard = Some(typed);
        view.draw(&mut screen);
        assert_eq!(row(&screen, ROW_PICK + 1), "> A_");
        assert!(
            row(&screen, ROW_PICK + 2).starts_with(" A [B] C "),
            "{}",
            row(&screen, ROW_PICK + 2)
        );
        assert_eq!(row(&screen, ROW_PICK + 7), " space   delete   ask");
        assert_eq!(
            row(&screen, ROW_HELP),
            "d-pad: move  A: type  START: ask  B: back"
        );
    }

    #[test]
    fn an_error_is_shown_whole_in_red() {
        let mut view = ChatView::new();
        view.set_error(format_args!(
            "Cannot start: model of 4259840 bytes > 4194304 bytes free in 8 MiB RDRAM"
        ));
        let mut screen = TextScreen::new();
        view.draw(&mut screen);
        assert_eq!(
            row(&screen, ROW_QUESTION),
            "Cannot start: model of 4259840 bytes > 4194304"
        );
        assert_eq!(row(&screen, ROW_QUESTION + 1), "bytes free in 8 MiB RDRAM");
        assert_eq!(screen.row_ink(ROW_QUESTION), RED);
        assert_eq!(row(&screen, ROW_HELP), "The chat cannot run: see above");
        let mut long = ChatView::new();
        long.set_error(format_args!("{:200}", "x"));
        assert_eq!(long.error().len(), 3 * COLUMNS);
        assert!(long.error().ends_with(b"..."));
    }

    #[test]
    fn prompts_use_the_corpus_format() {
        let mut buf = [0; PROMPT_MAX];
        assert_eq!(prompt(1, &mut buf), b"Q: How fast is the CPU?\nA:");
        assert_eq!(prompt_for(b"Hi?", &mut buf), b"Q: Hi?\nA:");
        assert!(QUESTIONS.iter().all(|q| q.len() <= QUESTION_MAX));
        for (i, p) in crate::textgen::PROMPTS.iter().enumerate() {
            assert_eq!(prompt(ATTRACT_SCRIPT[i], &mut buf), p.as_bytes());
        }
    }

    #[test]
    fn the_screen_shows_the_answer_and_the_measured_speeds() {
        let mut view = ChatView::new();
        view.set_model_line(format_args!("model: 4 layers; RDRAM {} MiB", 8));
        view.selected = 2;
        view.ask(2);
        for &b in b" The RSP runs microcode for geometry, sound and me." {
            view.push_answer(b);
        }
        // 100 steps in 0.4 s of Count ticks; the game ran 98.6% of that time.
        view.rsp = Speed {
            steps: 100,
            ticks: COUNT_HZ * 4 / 10,
            game_ticks: COUNT_HZ * 4 / 10 * 986 / 1000,
        };
        view.attract = true;
        view.controller = false;
        let mut screen = TextScreen::new();
        view.draw(&mut screen);
        assert_eq!(row(&screen, ROW_MODEL), "model: 4 layers; RDRAM 8 MiB");
        assert_eq!(row(&screen, ROW_LIST + 2), "> What is the RSP?");
        assert_eq!(row(&screen, ROW_LIST + 1), "  How fast is the CPU?");
        assert_eq!(row(&screen, ROW_LIST + 5), "  Type your own question...");
        assert_eq!(row(&screen, ROW_QUESTION), "Q: What is the RSP?");
        assert_eq!(
            row(&screen, ROW_ANSWER),
            "A: The RSP runs microcode for geometry, sound and"
        );
        assert_eq!(row(&screen, ROW_ANSWER + 1), "me.");
        let rows: std::vec::Vec<&[u8]> =
            WordWrap(b"A: The RSP runs microcode for geometry, sounds and me.").collect();
        assert_eq!(
            rows,
            [
                &b"A: The RSP runs microcode for geometry, sounds and"[..],
                b"me."
            ]
        );
        let rows: std::vec::Vec<&[u8]> =
            WordWrap(b"A: The RSP runs microcode for geometry, soundsss and").collect();
        assert_eq!(
            rows[1], b"and",
            "the row breaks at the last space that fits"
        );
        let long = [b'x'; COLUMNS + 5];
        let rows: std::vec::Vec<&[u8]> = WordWrap(&long).collect();
        assert_eq!((rows[0].len(), rows[1].len()), (COLUMNS, 5));
        assert_eq!(
            row(&screen, ROW_RSP_SPEED),
            "   RSP:   250.0 tokens/s, game keeps 98.6% CPU"
        );
        assert_eq!(row(&screen, ROW_VR4300_SPEED), "VR4300: not measured yet");
        assert_eq!(
            row(&screen, ROW_HELP),
            "Attract mode: no controller in port 1"
        );
    }
}
