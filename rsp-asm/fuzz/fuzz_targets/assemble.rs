//! Arbitrary bytes as assembler source: the assembler must return (an `Ucode` or errors) and
//! never panic, overflow, or run away. The same bytes are also an include file and a binary
//! image for the disassembler.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // `.include "inc.S"` reaches the same text again, so include handling (and its recursion
    // limits) is fuzzed too.
    let loader = rsp_asm::MemoryLoader::new().with("main.S", &text).with("inc.S", &text);
    match rsp_asm::assemble(&loader, "main.S") {
        Ok(ucode) => {
            // Whatever assembled must fit the RSP's memories and render as Rust and a listing.
            assert!(ucode.imem_used() <= rsp_asm::IMEM_SIZE && ucode.dmem_used() <= rsp_asm::DMEM_SIZE);
            let _ = rsp_asm::rust_source(&ucode, "main.S");
            let _ = ucode.listing_text();
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            let _ = errors.to_string();
        }
    }
    let _ = rsp_asm::disassemble(data, 0);
});
