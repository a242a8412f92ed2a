//! The bindings still match the headers: every function in `libdragon_sys::DECLARATIONS` is
//! looked up in libdragon's headers (`$N64_INST/mips64-elf/include`, where libdragon's
//! `make install` puts them, when `N64_INST` is set, else
//! `../shared/third-party/libdragon/include`) or in our shims' header, and its C prototype is
//! compared with the Rust declaration: the name, the number of arguments, and each argument's
//! and the result's kind, width and signedness (pointers: their pointee and constness), with
//! the widths of libdragon's ABI (o64 with 32-bit `long` and pointers). The thunk file is checked
//! too: one thunk per declaration, calling that function, storing the arguments beyond the
//! fourth and returning a 64-bit result through LLVM's hidden result pointer.
//!
//! Without libdragon's headers the header half skips with a message (fails under `CI=true`);
//! the shims, the thunks and the checker itself (it rejects changed headers) are always tested.

use libdragon_sys::{Declaration, Origin, DECLARATIONS};
use std::path::{Path, PathBuf};

/// A C or Rust type as far as the ABI is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ty {
    Void,
    Bool,
    Int { signed: bool, bits: u32 },
    Ptr { is_const: bool, pointee: String },
}

impl Ty {
    fn is_64_bit(&self) -> bool {
        matches!(self, Ty::Int { bits: 64, .. })
    }
}

fn int(signed: bool, bits: u32) -> Ty {
    Ty::Int { signed, bits }
}

/// A C type (without a parameter name), with libdragon's widths: under -mabi=o64 as libdragon
/// builds, `int` and `long` are 32 bits, `long long` 64, pointers 32.
fn c_type(text: &str) -> Result<Ty, String> {
    let spaced = text.replace('*', " * ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let stars = tokens.iter().filter(|t| **t == "*").count();
    let first_star = tokens
        .iter()
        .position(|t| *t == "*")
        .unwrap_or(tokens.len());
    let base: Vec<&str> = tokens[..first_star]
        .iter()
        .copied()
        .filter(|t| *t != "const" && *t != "volatile")
        .collect();
    if stars > 1 {
        return Err(format!("`{text}`: pointer to pointer is not bound"));
    }
    if stars == 1 {
        let is_const = tokens[..first_star].contains(&"const");
        let pointee = match base.join(" ").as_str() {
            "void" => "c_void".to_string(),
            "uint32_t" => "u32".to_string(),
            other => other.to_string(),
        };
        return Ok(Ty::Ptr { is_const, pointee });
    }
    Ok(match base.join(" ").as_str() {
        "void" => Ty::Void,
        "bool" | "_Bool" => Ty::Bool,
        "int" | "signed" | "signed int" | "int32_t" | "long" | "long int" | "rspq_syncpoint_t" => {
            int(true, 32)
        }
        "unsigned" | "unsigned int" | "uint32_t" | "unsigned long" | "unsigned long int" => {
            int(false, 32)
        }
        "int64_t" | "long long" | "long long int" => int(true, 64),
        "uint64_t" | "unsigned long long" | "unsigned long long int" => int(false, 64),
        other => {
            return Err(format!(
                "`{text}`: C type `{other}` is not in the checker's table"
            ))
        }
    })
}

/// A Rust type as written in the crate's declarations.
fn rust_type(text: &str) -> Result<Ty, String> {
    let text = text.trim();
    for (prefix, is_const) in [("*mut", false), ("*const", true)] {
        if let Some(pointee) = text.strip_prefix(prefix) {
            return Ok(Ty::Ptr {
                is_const,
                pointee: pointee.trim().to_string(),
            });
        }
    }
    Ok(match text {
        "()" => Ty::Void,
        "bool" => Ty::Bool,
        "i32" | "rspq_syncpoint_t" => int(true, 32),
        "u32" => int(false, 32),
        "i64" => int(true, 64),
        "u64" => int(false, 64),
        other => return Err(format!("Rust type `{other}` is not in the checker's table")),
    })
}

/// Removes comments and preprocessor lines (with their continuation lines), so that what
/// remains is declarations and definitions.
fn clean_c(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if text[i..].starts_with("/*") {
            i = text[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |end| i + 2 + end + 2);
            out.push(' ');
        } else if text[i..].starts_with("//") {
            i = text[i..].find('\n').map_or(bytes.len(), |end| i + end);
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    let mut kept = String::with_capacity(out.len());
    let mut continued = false;
    for line in out.lines() {
        let directive = continued || line.trim_start().starts_with('#');
        continued = directive && line.trim_end().ends_with('\\');
        if !directive {
            kept.push_str(line);
        }
        kept.push('\n');
    }
    kept
}

/// A C prototype: result type and parameter types (names dropped).
#[derive(Debug, PartialEq)]
struct Prototype {
    result: String,
    params: Vec<String>,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The index of the `)` that closes the `(` at `open`, if the text has one.
fn matching_paren(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0;
    for (k, c) in text[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + k);
                }
            }
            _ => {}
        }
    }
    None
}

/// Removes every `__attribute__((...))` (and `__attribute__ ((...))`).
fn strip_attributes(text: &str) -> String {
    let mut text = text.to_string();
    while let Some(start) = text.find("__attribute__") {
        let Some(open) = text[start..].find('(').map(|o| start + o) else {
            break;
        };
        let end = matching_paren(&text, open).map_or(open, |close| close + 1);
        text.replace_range(start..end, " ");
    }
    text
}

/// The first declaration or definition of function `name` in cleaned C text.
fn find_prototype(text: &str, name: &str) -> Option<Prototype> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text[from..].find(name) {
        let at = from + found;
        from = at + name.len();
        if at > 0 && is_ident_byte(bytes[at - 1]) {
            continue;
        }
        let rest = &text[at + name.len()..];
        if rest.bytes().next().is_some_and(is_ident_byte) || !rest.trim_start().starts_with('(') {
            continue;
        }
        // The result type: back to the end of the previous declaration or block.
        let start = text[..at].rfind([';', '}', '{', ')']).map_or(0, |p| p + 1);
        let mut result = strip_attributes(&text[start..at]);
        for word in ["extern", "static", "inline", "__inline__"] {
            result = result
                .split_whitespace()
                .filter(|t| *t != word)
                .collect::<Vec<_>>()
                .join(" ");
        }
        let result = result.trim().to_string();
        if result.is_empty() || result.contains(['=', ',', '"']) || result.starts_with("return") {
            continue;
        }
        // The parameters, to the matching parenthesis.
        let open = at + name.len() + (rest.len() - rest.trim_start().len());
        let close = matching_paren(text, open)?;
        let after = strip_attributes(&text[close + 1..text.len().min(close + 200)]);
        if !after.trim_start().starts_with([';', '{']) {
            continue;
        }
        let inner = text[open + 1..close].trim();
        let params = if inner.is_empty() || inner == "void" {
            Vec::new()
        } else {
            split_top_level(inner)
                .iter()
                .map(|p| drop_param_name(p))
                .collect()
        };
        return Some(Prototype { result, params });
    }
    None
}

/// Splits a parameter list at its top-level commas.
fn split_top_level(list: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in list.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current.trim().to_string());
    parts
}

/// `unsigned long length` -> `unsigned long`; `rsp_ucode_t *overlay_ucode` -> `rsp_ucode_t *`.
fn drop_param_name(param: &str) -> String {
    const TYPE_WORDS: &[&str] = &[
        "int", "long", "short", "char", "unsigned", "signed", "void", "bool", "_Bool", "const",
        "volatile", "float", "double",
    ];
    let spaced = param.replace('*', " * ");
    let mut tokens: Vec<&str> = spaced.split_whitespace().collect();
    if tokens.len() > 1 {
        let last = *tokens.last().unwrap();
        if last != "*" && !TYPE_WORDS.contains(&last) {
            tokens.pop();
        }
    }
    tokens.join(" ")
}

/// One `o32_to_o64_thunk` line of the thunk file.
#[derive(Debug)]
struct Thunk {
    o32_symbol: String,
    callee: String,
    extra_args: usize,
    result64: bool,
}

fn parse_thunks(assembly: &str) -> Result<Vec<Thunk>, String> {
    let mut thunks = Vec::new();
    for line in assembly.lines() {
        let Some(args) = line.trim().strip_prefix("o32_to_o64_thunk ") else {
            continue;
        };
        let fields: Vec<&str> = args.split(',').map(str::trim).collect();
        let number = |i: usize| -> Result<usize, String> {
            fields.get(i).map_or(Ok(0), |f| {
                f.parse()
                    .map_err(|_| format!("thunk line `{}`: `{f}` is not a number", line.trim()))
            })
        };
        if fields.len() < 2 || fields.len() > 4 {
            return Err(format!(
                "thunk line `{}`: 2 to 4 fields expected",
                line.trim()
            ));
        }
        thunks.push(Thunk {
            o32_symbol: fields[0].to_string(),
            callee: fields[1].to_string(),
            extra_args: number(2)?,
            result64: number(3)? != 0,
        });
    }
    Ok(thunks)
}

/// Compares one declaration with its C prototype found in `c_text` (cleaned); the differences.
fn check_declaration(decl: &Declaration, c_text: &str, errors: &mut Vec<String>) {
    let name = decl.c_name;
    let Some(proto) = find_prototype(c_text, name) else {
        errors.push(format!("{name}: no prototype in the headers"));
        return;
    };
    if proto.params.len() != decl.params.len() {
        errors.push(format!(
            "{name}: {} arguments in C ({}), {} in Rust ({})",
            proto.params.len(),
            proto.params.join(", "),
            decl.params.len(),
            decl.params.join(", ")
        ));
        return;
    }
    let mut compare = |what: String, c: &str, rust: &str| match (c_type(c), rust_type(rust)) {
        (Ok(c_ty), Ok(rust_ty)) if c_ty == rust_ty => {
            if what != "result" && c_ty.is_64_bit() {
                errors.push(format!(
                    "{name}: {what} is 64-bit (`{c}`): the o32 -> o64 thunks are measured \
                     with 32-bit arguments only"
                ));
            }
        }
        (Ok(c_ty), Ok(rust_ty)) => errors.push(format!(
            "{name}: {what} is `{c}` ({c_ty:?}) in C but `{rust}` ({rust_ty:?}) in Rust"
        )),
        (Err(e), _) | (_, Err(e)) => errors.push(format!("{name}: {what}: {e}")),
    };
    compare("result".into(), &proto.result, decl.result);
    for (i, (c, rust)) in proto.params.iter().zip(decl.params).enumerate() {
        compare(format!("argument {}", i + 1), c, rust);
    }
}

/// Every difference between the declarations and the headers / thunks.
fn check(
    decls: &[Declaration],
    libdragon_headers: Option<&str>,
    shims_header: &str,
    thunks_assembly: &str,
) -> Vec<String> {
    let mut errors = Vec::new();
    let libdragon = libdragon_headers.map(clean_c);
    let shims = clean_c(shims_header);
    for decl in decls {
        match decl.origin {
            Origin::Libdragon => {
                if let Some(text) = &libdragon {
                    check_declaration(decl, text, &mut errors);
                }
            }
            Origin::Shim => check_declaration(decl, &shims, &mut errors),
        }
    }
    let thunks = match parse_thunks(thunks_assembly) {
        Ok(thunks) => thunks,
        Err(e) => {
            errors.push(e);
            return errors;
        }
    };
    for decl in decls {
        let Some(thunk) = thunks.iter().find(|t| t.o32_symbol == decl.o32_symbol) else {
            errors.push(format!("{}: no thunk {}", decl.c_name, decl.o32_symbol));
            continue;
        };
        if thunk.callee != decl.c_name {
            errors.push(format!(
                "{}: calls {}, not {}",
                thunk.o32_symbol, thunk.callee, decl.c_name
            ));
        }
        let extra_args = decl.params.len().saturating_sub(4);
        if thunk.extra_args != extra_args {
            errors.push(format!(
                "{}: stores {} arguments beyond the fourth, {} has {} arguments",
                thunk.o32_symbol,
                thunk.extra_args,
                decl.c_name,
                decl.params.len(),
            ));
        }
        let result64 = rust_type(decl.result).is_ok_and(|t| t.is_64_bit());
        if thunk.result64 != result64 {
            errors.push(format!(
                "{}: result64={} but {} returns `{}`",
                thunk.o32_symbol, thunk.result64 as u8, decl.c_name, decl.result
            ));
        }
    }
    for thunk in &thunks {
        if !decls.iter().any(|d| d.o32_symbol == thunk.o32_symbol) {
            errors.push(format!(
                "{}: a thunk without a declaration",
                thunk.o32_symbol
            ));
        }
    }
    errors
}

fn crate_file(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.h` file of libdragon's include directory, concatenated in name order.
fn read_headers(dir: &Path) -> String {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "h"))
        .collect();
    paths.sort();
    assert!(
        paths.len() > 20,
        "{}: too few headers to be libdragon's",
        dir.display()
    );
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect::<Vec<_>>()
        .join("\n")
}

/// libdragon's headers: the installed SDK's when `N64_INST` is set (libdragon's `make install`
/// copies them into `$N64_INST/mips64-elf/include`), else the source tree's in ../shared.
/// `None` (skip) without either.
fn libdragon_headers() -> Option<(PathBuf, String)> {
    let dir = match std::env::var_os("N64_INST") {
        Some(n64_inst) => PathBuf::from(n64_inst).join("mips64-elf").join("include"),
        None => shared_fixtures::require("third-party/libdragon/include")?,
    };
    let text = read_headers(&dir);
    Some((dir, text))
}

#[test]
fn the_declarations_match_libdragons_headers_the_shims_and_the_thunks() {
    let shims = crate_file("c/libdragon_sys_shims.h");
    let thunks = crate_file("c/libdragon_sys_thunks.S");
    let headers = libdragon_headers();
    let errors = check(
        DECLARATIONS,
        headers.as_ref().map(|(_, t)| t.as_str()),
        &shims,
        &thunks,
    );
    assert!(
        errors.is_empty(),
        "the bindings differ:\n{}",
        errors.join("\n")
    );
    if let Some((dir, _)) = headers {
        eprintln!(
            "{} declarations match {}, the shims and the thunks",
            DECLARATIONS.len(),
            dir.display()
        );
    }
}

/// The check fails on changed headers: each edit of a real prototype is reported.
#[test]
fn a_changed_libdragon_header_is_reported() {
    let Some((_, headers)) = libdragon_headers() else {
        return;
    };
    let shims = crate_file("c/libdragon_sys_shims.h");
    let thunks = crate_file("c/libdragon_sys_thunks.S");
    let cases = [
        (
            "uint32_t rspq_overlay_register(rsp_ucode_t *overlay_ucode);",
            "uint32_t rspq_overlay_register(rsp_ucode_t *overlay_ucode, int flags);",
            "rspq_overlay_register: 2 arguments in C (rsp_ucode_t *, int), 1 in Rust (*mut rsp_ucode_t)",
        ),
        (
            "bool rspq_syncpoint_check(rspq_syncpoint_t sync_id);",
            "int rspq_syncpoint_check(rspq_syncpoint_t sync_id);",
            "rspq_syncpoint_check: result is `int` (Int { signed: true, bits: 32 }) in C but `bool` (Bool) in Rust",
        ),
        (
            "void dma_read(void * ram_address, unsigned long pi_address, unsigned long len);",
            "void dma_read(void * ram_address, unsigned long long pi_address, unsigned long len);",
            "dma_read: argument 2 is `unsigned long long` (Int { signed: false, bits: 64 }) in C but `u32` (Int { signed: false, bits: 32 }) in Rust",
        ),
        (
            "uint64_t get_ticks(void);",
            "uint32_t get_ticks(void);",
            "get_ticks: result is `uint32_t` (Int { signed: false, bits: 32 }) in C but `u64` (Int { signed: false, bits: 64 }) in Rust",
        ),
        (
            "void data_cache_hit_writeback(volatile const void *, unsigned long);",
            "void data_cache_hit_writeback(volatile void *, unsigned long);",
            "data_cache_hit_writeback: argument 1 is `volatile void *` (Ptr { is_const: false, pointee: \"c_void\" }) in C but `*const c_void` (Ptr { is_const: true, pointee: \"c_void\" }) in Rust",
        ),
        (
            "void rspq_highpri_sync(void);",
            "void rspq_highpri_wait(void);",
            "rspq_highpri_sync: no prototype in the headers",
        ),
    ];
    for (original, changed, expected) in cases {
        assert_eq!(
            headers.matches(original).count(),
            1,
            "not in the headers: {original}"
        );
        let edited = headers.replace(original, changed);
        let errors = check(DECLARATIONS, Some(&edited), &shims, &thunks);
        assert_eq!(
            errors,
            vec![expected.to_string()],
            "after changing {original}"
        );
    }
}

#[test]
fn a_changed_shim_or_thunk_is_reported() {
    let shims = crate_file("c/libdragon_sys_shims.h");
    let thunks = crate_file("c/libdragon_sys_thunks.S");
    let edited = shims.replace(
        "void ldsys_rspq_write_1(uint32_t ovl_id, uint32_t cmd_id, uint32_t arg0);",
        "void ldsys_rspq_write_1(uint32_t ovl_id, uint32_t cmd_id, uint32_t *arg0);",
    );
    assert_ne!(edited, shims);
    assert_eq!(
        check(DECLARATIONS, None, &edited, &thunks),
        vec!["ldsys_rspq_write_1: argument 3 is `uint32_t *` (Ptr { is_const: false, pointee: \"u32\" }) in C but `u32` (Int { signed: false, bits: 32 }) in Rust".to_string()]
    );
    for (original, changed, expected) in [
        (
            "o32_ldsys_rspq_write_4, ldsys_rspq_write_4, 2",
            "o32_ldsys_rspq_write_4, ldsys_rspq_write_4, 1",
            "o32_ldsys_rspq_write_4: stores 1 arguments beyond the fourth, ldsys_rspq_write_4 has 6 arguments",
        ),
        (
            "o32_get_ticks, get_ticks, 0, 1",
            "o32_get_ticks, get_ticks",
            "o32_get_ticks: result64=0 but get_ticks returns `u64`",
        ),
        (
            "o32_rspq_wait, rspq_wait",
            "o32_rspq_wait, rspq_flush",
            "o32_rspq_wait: calls rspq_flush, not rspq_wait",
        ),
    ] {
        let edited = thunks.replace(original, changed);
        assert_ne!(edited, thunks, "not in the thunk file: {original}");
        assert_eq!(check(DECLARATIONS, None, &shims, &edited), vec![expected.to_string()]);
    }
}

#[test]
fn the_parser_reads_declarations_and_skips_calls_macros_and_comments() {
    let text = clean_c(
        "/* void f(int); */\n#define f(x) \\\n  g(x)\n\
         static inline int f(uint32_t a, volatile const void *p) { return g(a); }\n\
         void g(int);\nuint64_t h(void) __attribute__((noreturn));\n",
    );
    assert_eq!(
        find_prototype(&text, "f"),
        Some(Prototype {
            result: "int".into(),
            params: vec!["uint32_t".into(), "volatile const void *".into()],
        })
    );
    assert_eq!(
        find_prototype(&text, "h"),
        Some(Prototype {
            result: "uint64_t".into(),
            params: vec![]
        })
    );
    // g's only prototype is the declaration, not the call inside f's body.
    assert_eq!(
        find_prototype(&text, "g"),
        Some(Prototype {
            result: "void".into(),
            params: vec!["int".into()]
        })
    );
    assert_eq!(find_prototype(&text, "x"), None);
    assert_eq!(c_type("unsigned long").unwrap(), int(false, 32));
    assert_eq!(c_type("long long").unwrap(), int(true, 64));
    assert!(c_type("float").is_err());
}

#[test]
fn a_64_bit_argument_is_refused() {
    let decl = Declaration {
        c_name: "wait_ticks64",
        o32_symbol: "o32_wait_ticks64",
        params: &["u64"],
        result: "()",
        origin: Origin::Shim,
    };
    let mut errors = Vec::new();
    check_declaration(
        &decl,
        &clean_c("void wait_ticks64(uint64_t ticks);"),
        &mut errors,
    );
    assert_eq!(
        errors,
        vec!["wait_ticks64: argument 1 is 64-bit (`uint64_t`): the o32 -> o64 thunks are measured with 32-bit arguments only"]
    );
}
