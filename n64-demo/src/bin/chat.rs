//! The chat ROM: pick a question with the d-pad and A, or type one on the on-screen keyboard
//! (the list's last entry); the answer streams onto the TV token by token, computed on the RSP (rspnn's scheduler, the game keeps running between polls) or on
//! the VR4300 (the scalar runner; B toggles), with the measured tokens/s of each and the share
//! of CPU time the game kept. With no input for 3 seconds (or no controller) it plays a
//! scripted round by itself: attract mode, which `cargo xtask test` checks against
//! `rspnn generate --stop-at-newline` on the host, in mupen64plus and in cen64.
//!
//! IS-Viewer lines (mirroring the screen): `chat.rdram_bytes=`, `chat.scalar="..."` (the
//! first bytes of the first answer on the VR4300), `chat.<k>.question=`, `chat.<k>.rsp="..."`
//! (escaped, `n64_demo::textgen::Escaped`), `chat.rsp.tenths_per_s=`,
//! `chat.rsp.game_permille=`, `chat.vr4300.tenths_per_s=`, then every screen row as
//! `chat.screen.<row>="..."`, then the end sentinel; the ROM itself goes on running.
//!
//! Memory: the model goes to the Expansion Pak's upper 4 MiB when RDRAM is 8 MiB (the size the
//! IPL3 stores at 0x8000_0318), else into a 1 MiB buffer in the base 4 MiB; a model that does
//! not fit is reported on screen.
#![no_std]
#![no_main]

use core::cell::RefCell;
use core::ptr::addr_of_mut;
use n64_demo::assets::{self, LoadError};
use n64_demo::chat::{
    self, ChatView, Engine, KeyAction, Keyboard, Speed, ANSWER_MAX, PROMPT_MAX, QUESTION_MAX,
};
use n64_demo::game::Game;
use n64_demo::textgen::{self, Escaped};
use n64_rt::cache::CacheAligned;
use n64_rt::joybus::{self, button, Pad};
use n64_rt::text::ROWS;
use n64_rt::vi::Screen;
use n64_rt::{println, timing};
use rspnn::token::{LaneStats, RspLane};
use rspnn_model::backend::{Backend, DecodeMask};
use rspnn_model::rspw::ModelView;
use rspnn_model::runner::{workspace_len, ScalarRunner};
use rspnn_model::window::Staggered;

n64_rt::entry!(main);

/// The model buffer in the base 4 MiB (a console without the Expansion Pak).
const BASE_MODEL_MAX: usize = 1 << 20;
/// With the Expansion Pak the model goes to its 4 MiB, which nothing else uses.
const EXPANSION_START: usize = 0x8040_0000;
const EXPANSION_BYTES: usize = 4 << 20;
/// Where the IPL3 stores the RDRAM size (libdragon's and the console's; cen64's PIF stand-in
/// and mupen64plus's high-level boot do too).
const RDRAM_SIZE_WORD: usize = 0x8000_0318;
const SCALAR_LANE: usize = 72 * 1024;
const RSP_WORKSPACE: usize = 320 * 1024;
const DEADLINE_MICROS: u32 = 500_000;

static mut MODEL: CacheAligned<[u8; BASE_MODEL_MAX]> = CacheAligned([0; BASE_MODEL_MAX]);
static mut SCALAR: [[i16; SCALAR_LANE]; 2] = [[0; SCALAR_LANE]; 2];
static mut WORKSPACE: CacheAligned<[u8; RSP_WORKSPACE]> = CacheAligned([0; RSP_WORKSPACE]);

/// The TV, the chat's state and the controller.
struct Ui {
    screen: Screen,
    view: ChatView,
    pad: Pad,
}

impl Ui {
    fn show(&mut self) {
        self.view.draw(&mut self.screen.text);
        self.screen.present();
    }

    /// Reads controller 1; returns the buttons newly pressed.
    fn poll_pad(&mut self) -> u16 {
        let now = joybus::read_pad();
        self.view.controller = now.is_some();
        let now = now.unwrap_or_default();
        let pressed = now.pressed_since(&self.pad);
        self.pad = now;
        pressed
    }

    /// A fatal condition a person must see: on screen and on the IS-Viewer; the ROM stops.
    fn fail(&mut self, args: core::fmt::Arguments) -> ! {
        self.view.set_error(format_args!("Cannot start: {args}"));
        self.show();
        println!("chat.error={}", args);
        n64_rt::halt::finish()
    }
}

/// Generates the answer to `question` on `backend` the way `rspnn generate --stop-at-newline
/// --max 64` does, showing each byte as it comes; adds the steps and their ticks to `speed`.
/// `game_ticks` reads the game's running tick total. Returns the number of bytes generated.
fn answer<B: Backend>(
    backend: &mut B,
    question: &[u8],
    max: usize,
    ui: &mut Ui,
    speed: &mut Speed,
    game_ticks: &dyn Fn() -> u64,
) -> usize {
    let mut prompt_buf = [0u8; PROMPT_MAX];
    let prompt = chat::prompt_for(question, &mut prompt_buf);
    ui.view.ask_text(question);
    ui.show();
    let mut step = |backend: &mut B, byte: u8| {
        let (start, game_start) = (timing::read_count(), game_ticks());
        let next = match backend.step(byte, DecodeMask::All) {
            Ok(next) => next,
            Err(e) => panic!("{} step: {e}", backend.name()),
        };
        speed.steps += 1;
        speed.ticks += timing::read_count().wrapping_sub(start) as u64;
        speed.game_ticks += game_ticks() - game_start;
        next
    };
    backend.reset();
    let mut next = 0;
    for &byte in prompt {
        next = step(backend, byte);
    }
    for i in 0..max {
        if next == b'\n' {
            break;
        }
        ui.view.push_answer(next);
        ui.show();
        if i + 1 < max {
            next = step(backend, next);
        }
    }
    ui.view.answer_len
}

fn main() {
    let mut ui = Ui {
        screen: Screen::init(),
        view: ChatView::new(),
        pad: Pad::default(),
    };
    ui.view.set_model_line(format_args!("loading the model..."));
    ui.show();

    let rdram = rdram_bytes();
    println!("chat.rdram_bytes={rdram}");
    // SAFETY: main runs once; these are the only references made to the statics and to the
    // Expansion Pak's RDRAM (mapped when the IPL3 reports 8 MiB).
    let (model_buf, scalar_ws, rsp_ws): (&'static mut [u8], _, _) = unsafe {
        let model_buf: &'static mut [u8] =
            if rdram >= EXPANSION_START - 0x8000_0000 + EXPANSION_BYTES {
                core::slice::from_raw_parts_mut(EXPANSION_START as *mut u8, EXPANSION_BYTES)
            } else {
                &mut (*addr_of_mut!(MODEL)).0
            };
        (
            model_buf,
            &mut *addr_of_mut!(SCALAR),
            &mut (*addr_of_mut!(WORKSPACE)).0,
        )
    };
    let capacity = model_buf.len();
    let model: &'static [u8] = match assets::load(0, model_buf) {
        Ok(bytes) => bytes,
        Err(LoadError::TooBig { len, .. }) => ui.fail(format_args!(
            "model of {len} bytes > {capacity} bytes free in {} MiB RDRAM",
            rdram >> 20
        )),
        Err(e) => ui.fail(format_args!("no model: {e}")),
    };
    let view = match ModelView::parse(model) {
        Ok(v) => v,
        Err(e) => ui.fail(format_args!("bad model: {e}")),
    };
    let d = *view.dims();
    ui.view.set_model_line(format_args!(
        "{}L w{} ctx{} {:?}, {} KiB; RDRAM {} MiB",
        d.n_layers,
        d.d_model,
        d.ctx,
        view.info().bits,
        model.len() / 1024,
        rdram >> 20
    ));

    let need = workspace_len(&d);
    if need > SCALAR_LANE {
        ui.fail(format_args!("model needs {need} i16 of scalar workspace"));
    }
    let [lane0, lane1] = scalar_ws;
    let scalar_lane =
        |ws: &'static mut [i16; SCALAR_LANE]| match ScalarRunner::new(view, &mut ws[..need]) {
            Ok(r) => r,
            Err(e) => panic!("scalar runner: {e}"),
        };
    let mut scalar = Staggered::new(scalar_lane(lane0), scalar_lane(lane1), d.ctx);

    let (sched, runner0, runner1, _) = textgen::rsp_lanes(model, rsp_ws, DEADLINE_MICROS);
    let game = Game::new();
    let sched = RefCell::new(sched);
    let hook = RefCell::new(|| game.frame());
    let stats = RefCell::new(LaneStats::default());
    let mut rsp = Staggered::new(
        RspLane::new(&sched, &hook, &stats, runner0),
        RspLane::new(&sched, &hook, &stats, runner1),
        d.ctx,
    );
    let game_ticks = || game.ticks.get();
    let no_game = || 0u64;

    let mut idle_frames = 0u32;
    let mut attract_rounds = 0u32;
    loop {
        let pressed = ui.poll_pad();
        if pressed != 0 {
            idle_frames = 0;
            ui.view.attract = false;
        } else {
            idle_frames = idle_frames.saturating_add(1);
        }
        // The question to ask this frame, if any (copied out of the view it came from).
        let mut ask = None;
        if let Some(keyboard) = ui.view.keyboard.as_mut() {
            for (bit, dx, dy) in [
                (button::UP, 0, -1),
                (button::DOWN, 0, 1),
                (button::LEFT, -1, 0),
                (button::RIGHT, 1, 0),
            ] {
                if pressed & bit != 0 {
                    keyboard.move_by(dx, dy);
                }
            }
            let typed_ask = pressed & button::A != 0 && keyboard.press() == KeyAction::Ask;
            let start_ask = pressed & button::START != 0 && !keyboard.text().is_empty();
            if typed_ask || start_ask {
                ask = Some(Question::from(keyboard.text()));
            }
            if ask.is_some() || pressed & button::B != 0 {
                ui.view.keyboard = None;
            }
        } else {
            let count = chat::LIST_LEN;
            if pressed & button::UP != 0 {
                ui.view.selected = (ui.view.selected + count - 1) % count;
            }
            if pressed & button::DOWN != 0 {
                ui.view.selected = (ui.view.selected + 1) % count;
            }
            if pressed & button::B != 0 {
                ui.view.engine = ui.view.engine.other();
            }
            if pressed & button::A != 0 {
                match chat::QUESTIONS.get(ui.view.selected) {
                    Some(q) => ask = Some(Question::from(q.as_bytes())),
                    None => ui.view.keyboard = Some(Keyboard::new()),
                }
            }
        }
        if let Some(question) = ask {
            let q = question.text();
            let mut speed = match ui.view.engine {
                Engine::Rsp => ui.view.rsp,
                Engine::Vr4300 => ui.view.vr4300,
            };
            match ui.view.engine {
                Engine::Rsp => answer(&mut rsp, q, ANSWER_MAX, &mut ui, &mut speed, &game_ticks),
                Engine::Vr4300 => answer(&mut scalar, q, ANSWER_MAX, &mut ui, &mut speed, &no_game),
            };
            match ui.view.engine {
                Engine::Rsp => ui.view.rsp = speed,
                Engine::Vr4300 => ui.view.vr4300 = speed,
            }
        }
        if idle_frames >= chat::ATTRACT_AFTER_FRAMES {
            ui.view.attract = true;
            ui.view.keyboard = None;
            // First a few bytes of the first question on the VR4300 (its speed, and the same
            // text), then every scripted question on the RSP: the round ends on an answer.
            let q = chat::ATTRACT_SCRIPT[0];
            ui.view.selected = q;
            ui.view.engine = Engine::Vr4300;
            let mut speed = ui.view.vr4300;
            answer(
                &mut scalar,
                chat::QUESTIONS[q].as_bytes(),
                chat::ATTRACT_SCALAR_BYTES,
                &mut ui,
                &mut speed,
                &no_game,
            );
            ui.view.vr4300 = speed;
            println!("chat.scalar=\"{}\"", Escaped(ui.view.answer()));
            for (k, &q) in chat::ATTRACT_SCRIPT.iter().enumerate() {
                ui.view.selected = q;
                ui.view.engine = Engine::Rsp;
                let mut speed = ui.view.rsp;
                let question = chat::QUESTIONS[q].as_bytes();
                answer(
                    &mut rsp,
                    question,
                    ANSWER_MAX,
                    &mut ui,
                    &mut speed,
                    &game_ticks,
                );
                ui.view.rsp = speed;
                println!("chat.{k}.question={q}");
                println!("chat.{k}.rsp=\"{}\"", Escaped(ui.view.answer()));
            }
            ui.view.engine = Engine::Rsp;
            ui.show();
            report(&ui);
            if attract_rounds == 0 {
                // The end line for the emulator runners; the ROM goes on for a person.
                println!("{}", n64_rt::sentinel::DONE);
            }
            attract_rounds += 1;
            idle_frames = 0;
        }
        ui.show();
    }
}

/// The RDRAM size: what the IPL3 stored at 0x8000_0318 (libdragon's IPL3 and a console's do),
/// else (our emulator IPL3 stores nothing) whether the Expansion Pak's first word holds what
/// is written to it.
fn rdram_bytes() -> usize {
    // SAFETY: a word in low RDRAM, below the program.
    let stored = unsafe { core::ptr::read_volatile(RDRAM_SIZE_WORD as *const u32) } as usize;
    if stored == 4 << 20 || stored == 8 << 20 {
        return stored;
    }
    let probe = n64_rt::addr::uncached(EXPANSION_START as u32) as usize as *mut u32;
    let mut present = true;
    for pattern in [0x5A5A_A5A5u32, 0xA5A5_5A5A] {
        // SAFETY: KSEG1 RDRAM; without the Expansion Pak the access reads back something else.
        unsafe {
            core::ptr::write_volatile(probe, pattern);
            present &= core::ptr::read_volatile(probe) == pattern;
        }
    }
    if present {
        8 << 20
    } else {
        4 << 20
    }
}

/// The measured figures and every screen row, on the IS-Viewer.
fn report(ui: &Ui) {
    let v = &ui.view;
    let (rsp, cpu) = (v.rsp, v.vr4300);
    // Raw figures first (the host redraws the screen from them), then the derived ones.
    println!(
        "chat.controller={}",
        if v.controller { "yes" } else { "no" }
    );
    println!("chat.rsp.steps={}", rsp.steps);
    println!("chat.rsp.ticks={}", rsp.ticks);
    println!("chat.rsp.game_ticks={}", rsp.game_ticks);
    println!("chat.vr4300.steps={}", cpu.steps);
    println!("chat.vr4300.ticks={}", cpu.ticks);
    let tenths = |s: Speed| s.tenths_per_second().unwrap_or(0);
    println!("chat.rsp.tenths_per_s={}", tenths(rsp));
    println!(
        "chat.rsp.game_permille={}",
        rsp.game_permille().unwrap_or(0)
    );
    println!("chat.vr4300.tenths_per_s={}", tenths(cpu));
    for row in 0..ROWS {
        println!(
            "chat.screen.{row}=\"{}\"",
            Escaped(ui.screen.text.row_text(row))
        );
    }
}

/// A question copied out of the list or the keyboard.
struct Question {
    bytes: [u8; QUESTION_MAX],
    len: usize,
}

impl Question {
    fn from(text: &[u8]) -> Self {
        let len = text.len().min(QUESTION_MAX);
        let mut bytes = [0; QUESTION_MAX];
        bytes[..len].copy_from_slice(&text[..len]);
        Self { bytes, len }
    }

    fn text(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}
