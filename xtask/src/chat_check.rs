//! The chat ROM's check: its attract-mode answers equal `rspnn generate --stop-at-newline` on
//! the host, and the screen it shows (mirrored row by row to the IS-Viewer) equals the screen
//! the host draws with the same code (`n64_demo::chat::ChatView::draw`) from the host's
//! answers and the figures the ROM measured.

use crate::emulator::RomRun;
use crate::roms::{demo_model, ended_well, host_generate_with, parse, quoted, value};
use crate::workspace::Workspace;
use crate::Result;
use n64_demo::chat::{self, ChatView, Speed, ANSWER_MAX, ATTRACT_SCALAR_BYTES, ATTRACT_SCRIPT};
use n64_rt::text::{TextScreen, ROWS};

/// The host's answers to the attract script's questions.
pub fn host_answers(ws: &Workspace) -> Result<Vec<Vec<u8>>> {
    let model = demo_model(ws)?;
    let max = ANSWER_MAX.to_string();
    let mut buf = [0u8; chat::PROMPT_MAX];
    ATTRACT_SCRIPT
        .iter()
        .map(|&q| {
            let prompt = String::from_utf8_lossy(chat::prompt(q, &mut buf)).into_owned();
            host_generate_with(ws, &model, &prompt, &["--max", &max, "--stop-at-newline"])
        })
        .collect()
}

pub fn check_chat(run: &RomRun, _title: &str) -> Result<String> {
    ended_well(run)?;
    let ws = Workspace::locate()?;
    let answers = host_answers(&ws)?;
    check_chat_lines(run, &answers)?;
    let rsp: u64 = parse(run, "chat.rsp.tenths_per_s")?;
    let keep: u64 = parse(run, "chat.rsp.game_permille")?;
    let cpu: u64 = parse(run, "chat.vr4300.tenths_per_s")?;
    Ok(format!(
        "attract mode: {} answers on the RSP and {ATTRACT_SCALAR_BYTES} bytes on the VR4300 = \
         host `rspnn generate --stop-at-newline`; {ROWS} screen rows = the host's drawing; \
         measured (emulated Count): RSP {}.{} tokens/s, game kept {}.{}%, VR4300 {}.{} tokens/s",
        answers.len(),
        rsp / 10,
        rsp % 10,
        keep / 10,
        keep % 10,
        cpu / 10,
        cpu % 10
    ))
}

/// Compares the ROM's lines with the host's answers and redraws its last screen; returns that
/// screen (what the TV shows, for the screenshot check).
pub fn check_chat_lines(run: &RomRun, answers: &[Vec<u8>]) -> Result<TextScreen> {
    for (k, want) in answers.iter().enumerate() {
        let got = value(run, &format!("chat.{k}.rsp"))?;
        let want = quoted(want);
        if got != want {
            return Err(format!(
                "attract answer {k} ({:?}):\n  ROM (RSP): {got}\n  host:      {want}",
                chat::QUESTIONS[ATTRACT_SCRIPT[k]]
            ));
        }
    }
    let first = &answers[0];
    let scalar_want = &first[..first.len().min(ATTRACT_SCALAR_BYTES)];
    let scalar = value(run, "chat.scalar")?;
    if scalar != quoted(scalar_want) {
        return Err(format!(
            "the VR4300's first bytes: ROM {scalar}, host {}",
            quoted(scalar_want)
        ));
    }
    let expected = expected_screen(run, answers.last().ok_or("no answers")?)?;
    for row in 0..ROWS {
        let got = value(run, &format!("chat.screen.{row}"))?;
        let want = quoted(expected.row_text(row));
        if got != want {
            return Err(format!(
                "screen row {row}: the ROM shows {got}, the host draws {want}"
            ));
        }
    }
    Ok(expected)
}

/// The screen at the end of the attract round, drawn on the host: the last scripted question
/// with the host's answer, the ROM's measured figures and model line.
fn expected_screen(run: &RomRun, last_answer: &[u8]) -> Result<TextScreen> {
    let mut view = ChatView::new();
    let model_line = value(run, &format!("chat.screen.{}", chat::ROW_MODEL))?;
    let model_line = model_line.trim_matches('"');
    if model_line.contains('\\') {
        return Err(format!("the model line {model_line:?} has escapes"));
    }
    view.set_model_line(format_args!("{model_line}"));
    let last = ATTRACT_SCRIPT[ATTRACT_SCRIPT.len() - 1];
    view.selected = last;
    view.ask(last);
    for &b in last_answer {
        view.push_answer(b);
    }
    view.rsp = Speed {
        steps: parse(run, "chat.rsp.steps")?,
        ticks: parse(run, "chat.rsp.ticks")?,
        game_ticks: parse(run, "chat.rsp.game_ticks")?,
    };
    view.vr4300 = Speed {
        steps: parse(run, "chat.vr4300.steps")?,
        ticks: parse(run, "chat.vr4300.ticks")?,
        game_ticks: 0,
    };
    view.attract = true;
    view.controller = match value(run, "chat.controller")? {
        "yes" => true,
        "no" => false,
        other => return Err(format!("chat.controller={other}: expected yes or no")),
    };
    let mut screen = TextScreen::new();
    view.draw(&mut screen);
    Ok(screen)
}

/// Packs the chat program with libdragon's IPL3 (the console's boot path), runs its attract
/// round in cen64, checks its lines as [`check_chat`] does, and compares the screenshot taken
/// at its end line with the host's drawing of the expected screen (`screen_check`).
/// `elf` is the built chat program; the ROM and `png` are written. None: no libdragon IPL3
/// (../shared absent; skipped with a message).
pub fn check_chat_in_cen64(
    ws: &Workspace,
    elf: &std::path::Path,
    png: &std::path::Path,
    echo: bool,
) -> Option<Result<String>> {
    let ipl3 = crate::libdragon_ipl3::find()?;
    Some((|| {
        let (ipl3_path, ipl3) = ipl3?;
        let rom = ws.rom_dir().join("chat-libdragon-ipl3.z64");
        let title = crate::rom::default_title("chat");
        let assets = crate::roms::assets_for(ws, "chat")?;
        crate::pack_file(
            elf,
            &rom,
            &title,
            &crate::rom::BootPath::LibdragonIpl3(ipl3),
            &assets,
        )?;
        let options = crate::cen64::RunOptions {
            echo,
            screenshot: Some(png.to_path_buf()),
        };
        let started = std::time::Instant::now();
        let run = crate::cen64::run_rom(&rom, std::time::Duration::from_secs(240), &options)?;
        let seconds = started.elapsed().as_secs_f64();
        let summary = check_chat(&run, &title)?;
        let answers = host_answers(ws)?;
        let screen = check_chat_lines(&run, &answers)?;
        let shot = crate::screen_check::read_image(png)?;
        let lines = crate::screen_check::compare(&shot, &screen)
            .map_err(|e| format!("{}: {e}", png.display()))?;
        Ok(format!(
            "{} (IPL3 {}) in cen64, {seconds:.0} s: {summary}; screenshot {}: {lines} visible \
             lines x 320 pixels = the host's rendering with our font",
            rom.display(),
            ipl3_path.display(),
            png.display()
        ))
    })())
}

/// Bytes of the stand-in model in [`check_chat_too_big_model`]: more than the Expansion Pak's
/// 4 MiB the ROM keeps for a model.
const TOO_BIG_MODEL: usize = (4 << 20) + (64 << 10);

/// Packs the chat program with a "model" larger than any RDRAM can hold beside the program,
/// runs it in cen64 (8 MiB of RDRAM) and checks that the ROM says so on the IS-Viewer and, in
/// the screenshot, on its screen (pixel for pixel against the host's drawing), and stops
/// cleanly instead of crashing.
pub fn check_chat_too_big_model(ws: &Workspace, elf: &std::path::Path) -> Result<String> {
    let rom = ws.rom_dir().join("chat-too-big-model.z64");
    let png = ws.rom_dir().join("chat-too-big-model.png");
    let title = crate::rom::default_title("chat");
    // The ROM checks the size in the asset directory before it reads or parses the model, so
    // the bytes need not be a model.
    let assets = vec![vec![0x5Au8; TOO_BIG_MODEL]];
    crate::pack_file(elf, &rom, &title, &crate::rom::BootPath::OwnIpl3, &assets)?;
    let options = crate::cen64::RunOptions {
        echo: false,
        screenshot: Some(png.clone()),
    };
    let run = crate::cen64::run_rom(&rom, std::time::Duration::from_secs(60), &options)?;
    ended_well(&run)?;
    let want = format!(
        "model of {TOO_BIG_MODEL} bytes > {} bytes free in 8 MiB RDRAM",
        4 << 20
    );
    let error = value(&run, "chat.error")?;
    if error != want {
        return Err(format!("chat.error={error}, expected {want}"));
    }
    // What the ROM shows then: the chat screen before any input, the message in red.
    let mut view = ChatView::new();
    view.set_model_line(format_args!("loading the model..."));
    view.set_error(format_args!("Cannot start: {want}"));
    let mut expected = TextScreen::new();
    view.draw(&mut expected);
    let shot = crate::screen_check::read_image(&png)?;
    crate::screen_check::compare(&shot, &expected)
        .map_err(|e| format!("{}: {e}", png.display()))?;
    Ok(format!(
        "a {TOO_BIG_MODEL}-byte model: \"{error}\" on the IS-Viewer and on screen (pixel for \
         pixel), clean stop"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::Ending;

    /// The lines a ROM that did everything right prints, for answers `answers`.
    fn good_lines(answers: &[&[u8]]) -> Vec<String> {
        let mut lines = vec![format!("chat.scalar={}", quoted(&answers[0][..4]))];
        for (k, a) in answers.iter().enumerate() {
            lines.push(format!("chat.{k}.question={}", ATTRACT_SCRIPT[k]));
            lines.push(format!("chat.{k}.rsp={}", quoted(a)));
        }
        for line in [
            "chat.controller=no",
            "chat.rsp.steps=196",
            "chat.rsp.ticks=1096438",
            "chat.rsp.game_ticks=307002",
            "chat.vr4300.steps=21",
            "chat.vr4300.ticks=556965430",
            "chat.rsp.tenths_per_s=83794",
            "chat.rsp.game_permille=280",
            "chat.vr4300.tenths_per_s=17",
        ] {
            lines.push(line.into());
        }
        let mut view = ChatView::new();
        view.set_model_line(format_args!("4L w128 ctx64 Q8, 898 KiB; RDRAM 8 MiB"));
        view.selected = 2;
        view.ask(2);
        for &b in answers[2] {
            view.push_answer(b);
        }
        view.rsp = Speed {
            steps: 196,
            ticks: 1096438,
            game_ticks: 307002,
        };
        view.vr4300 = Speed {
            steps: 21,
            ticks: 556965430,
            game_ticks: 0,
        };
        view.attract = true;
        let mut screen = TextScreen::new();
        view.draw(&mut screen);
        for row in 0..ROWS {
            lines.push(format!(
                "chat.screen.{row}={}",
                quoted(screen.row_text(row))
            ));
        }
        lines
    }

    const ANSWERS: [&[u8]; 3] = [b" I am Nibble.", b" 93.75 MHz.", b" The RSP runs."];

    #[test]
    fn a_right_run_passes_and_any_wrong_byte_or_row_fails() {
        let answers: Vec<Vec<u8>> = ANSWERS.iter().map(|a| a.to_vec()).collect();
        let lines = good_lines(&ANSWERS);
        let run = |lines: &[String]| RomRun {
            lines: lines.to_vec(),
            ending: Ending::Done,
        };
        let screen = check_chat_lines(&run(&lines), &answers).unwrap();
        assert_eq!(screen.row_text(chat::ROW_ANSWER), b"A: The RSP runs.");

        let mut wrong_answer = lines.clone();
        wrong_answer[4] = format!("chat.1.rsp={}", quoted(b" 93.76 MHz."));
        let error = check_chat_lines(&run(&wrong_answer), &answers).unwrap_err();
        assert!(error.contains("attract answer 1"), "{error}");

        let mut wrong_row = lines.clone();
        let speed_row = lines
            .iter()
            .position(|l| l.starts_with(&format!("chat.screen.{}=", chat::ROW_RSP_SPEED)))
            .unwrap();
        wrong_row[speed_row] = format!("chat.screen.{}=\"RSP: fast\"", chat::ROW_RSP_SPEED);
        let error = check_chat_lines(&run(&wrong_row), &answers).unwrap_err();
        let row_name = format!("screen row {}", chat::ROW_RSP_SPEED);
        assert!(error.contains(&row_name), "{error}");

        let mut wrong_scalar = lines;
        wrong_scalar[0] = format!("chat.scalar={}", quoted(b" I b"));
        let error = check_chat_lines(&run(&wrong_scalar), &answers).unwrap_err();
        assert!(error.contains("VR4300"), "{error}");
    }
}
