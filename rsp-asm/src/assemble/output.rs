//! From the final pass to the result: the IMEM/DMEM size checks (naming the biggest
//! contributors), the images, symbols and listing, and the order errors are reported in.

use std::collections::{HashMap, HashSet};

use super::*;

/// Orders diagnostics as the statements they refer to were read (an error in an included file
/// comes where the include is), errors without a location last. Lines that produced no
/// statement (preprocessor errors) sort after the closest earlier statement of their file.
pub(super) fn sort_in_source_order(errors: &mut [Diagnostic], lines: &[Line]) {
    let mut per_file: HashMap<&str, Vec<(u32, usize)>> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        per_file.entry(&l.file).or_default().push((l.line_no, i));
    }
    for v in per_file.values_mut() {
        v.sort();
    }
    let key = |d: &Diagnostic| match &d.location {
        None => (1, usize::MAX, 0, 0),
        Some(loc) => {
            let pos = per_file.get(loc.file.as_str()).and_then(|v| {
                let k = v.partition_point(|(line, _)| *line <= loc.line);
                k.checked_sub(1).map(|k| v[k].1)
            });
            (0, pos.unwrap_or(0), loc.line, loc.col)
        }
    };
    errors.sort_by_key(key);
}

fn symbol_is_exported(name: &str) -> bool {
    !name.starts_with(".L") && !name.starts_with("__rsp_asm_")
}

/// IMEM/DMEM overflow, naming the biggest contributors (labels by the bytes up to the next
/// label, and sections by size).
pub(super) fn check_sizes(
    p: &Pass,
    bases: &[u32],
    resident_end: u32,
    overlay_base: u32,
    dmem_end: u32,
    main: &str,
    errors: &mut Vec<Diagnostic>,
) {
    let overlay_max = p
        .keys
        .iter()
        .enumerate()
        .filter(|(_, k)| matches!(k, SectionKey::Overlay(_)))
        .map(|(i, _)| p.sections[i].size.div_ceil(8) * 8)
        .max();
    let imem_used = match overlay_max {
        Some(m) => overlay_base.saturating_add(m),
        None => resident_end,
    };
    for (used, limit, is_imem) in [(imem_used, IMEM_SIZE, true), (dmem_end, DMEM_SIZE, false)] {
        if used <= limit {
            continue;
        }
        let memory = if is_imem { "IMEM" } else { "DMEM" };
        let mut d = Diagnostic::global(
            main,
            format!("{memory} overflow: {used} bytes used, {limit} available ({} too many)", used - limit),
        );
        // Sections by size.
        let mut secs: Vec<(String, u32)> = p
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.is_code() == is_imem)
            .map(|(i, k)| (k.display(), p.sections[i].size))
            .filter(|(_, s)| *s > 0)
            .collect();
        secs.sort_by_key(|s| std::cmp::Reverse(s.1));
        let list: Vec<String> = secs.iter().map(|(n, s)| format!("{n} {s} bytes")).collect();
        d = d.with_note(format!("sections: {}", list.join(", ")));
        // Labels by extent.
        let mut labels: Vec<(u32, u32, &String, usize)> = p
            .labels
            .iter()
            .filter(|(_, (sec, _))| p.keys[*sec].is_code() == is_imem)
            .map(|(n, (sec, off))| (*sec as u32, bases[*sec] + off, n, p.label_stmt.get(n).copied().unwrap_or(0)))
            .collect();
        labels.sort_by_key(|l| (l.0, l.1));
        let mut extents: Vec<(u32, &String, usize)> = Vec::new();
        for (k, l) in labels.iter().enumerate() {
            let sec_end = bases[l.0 as usize] + p.sections[l.0 as usize].size;
            let end = labels.get(k + 1).filter(|n| n.0 == l.0).map(|n| n.1).unwrap_or(sec_end);
            extents.push((end.saturating_sub(l.1), l.2, l.3));
        }
        extents.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        for (size, name, stmt) in extents.iter().take(5) {
            let line = &p.prog.lines[p.prog.stmts[*stmt].line];
            d = d.with_note(format!("`{name}` takes {size} bytes ({}:{})", line.file, line.line_no));
        }
        errors.push(d);
    }
}

pub(super) fn build_ucode(
    p: &Pass,
    bases: &[u32],
    resident_end: u32,
    overlay_base: u32,
    data_end: u32,
    files: Vec<String>,
) -> Ucode {
    let kept = p.kept();
    let mut text = vec![0u8; resident_end as usize];
    let mut data = vec![0u8; data_end as usize];
    let mut dmem_end = data_end;
    let mut overlays = Vec::new();
    for (i, key) in p.keys.iter().enumerate() {
        let s = &p.sections[i];
        let b = bases[i] as usize;
        if !kept[i] {
            continue; // collected by the linker (see `SectionKey::TextNamed`)
        }
        match key {
            SectionKey::Text(_) | SectionKey::TextNamed(_) => text[b..b + s.bytes.len()].copy_from_slice(&s.bytes),
            SectionKey::Data(_) | SectionKey::DataNamed(_) => data[b..b + s.bytes.len()].copy_from_slice(&s.bytes),
            SectionKey::Bss(_) | SectionKey::BssNamed(_) | SectionKey::BssOverlay(..) => {
                dmem_end = dmem_end.max(bases[i] + s.size)
            }
            SectionKey::Overlay(name) => {
                let mut image = s.bytes.clone();
                image.resize(image.len().div_ceil(8) * 8, 0);
                overlays.push(Overlay { name: name.clone(), load_address: overlay_base, image });
            }
        }
    }
    let line_of = |stmt: usize| &p.prog.lines[p.prog.stmts[stmt].line];
    let defined_at = |stmt: usize| {
        let l = line_of(stmt);
        format!("{}:{}", l.file, l.line_no)
    };
    let globals: HashSet<&str> = p.globals.iter().map(|(n, _)| n.as_str()).collect();
    let mut symbols = Vec::new();
    for (name, &(sec, off)) in &p.labels {
        if !symbol_is_exported(name) {
            continue;
        }
        let kind = match &p.keys[sec] {
            SectionKey::Text(_) | SectionKey::TextNamed(_) => SymbolKind::Text,
            SectionKey::Overlay(n) => SymbolKind::Overlay(n.clone()),
            _ => SymbolKind::Data,
        };
        let stmt = p.label_stmt.get(name).copied().unwrap_or(0);
        symbols.push(Symbol {
            name: name.clone(),
            value: (bases[sec] + off) as i64,
            kind,
            global: globals.contains(name.as_str()),
            defined_at: defined_at(stmt),
        });
    }
    for (name, v) in &p.consts {
        if !symbol_is_exported(name) {
            continue;
        }
        let stmt = p.const_stmt.get(name).copied().unwrap_or(0);
        symbols.push(Symbol {
            name: name.clone(),
            value: v.n,
            kind: SymbolKind::Constant,
            global: globals.contains(name.as_str()),
            defined_at: defined_at(stmt),
        });
    }
    symbols.sort_by(|a, b| a.name.cmp(&b.name));
    let listing = p
        .listing
        .iter()
        .map(|(stmt, sec, off, bytes)| {
            let line = line_of(*stmt);
            let memory = match &p.keys[*sec] {
                SectionKey::Text(_) | SectionKey::TextNamed(_) => "imem".to_string(),
                SectionKey::Overlay(n) => n.clone(),
                _ => "dmem".to_string(),
            };
            let source = line.text.get(line.start..line.end).unwrap_or("").trim().to_string();
            ListingEntry {
                memory,
                address: bases[*sec] + off,
                bytes: bytes.clone(),
                file: line.file.to_string(),
                line: line.line_no,
                source,
            }
        })
        .collect();
    let entry = p.entry.map(|(v, _)| v.n as u32).unwrap_or(0);
    Ucode {
        text,
        data,
        bss_size: dmem_end - data_end,
        overlay_base,
        overlays,
        symbols,
        entry,
        listing,
        source_files: files,
    }
}
