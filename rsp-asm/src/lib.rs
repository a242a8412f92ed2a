//! rsp-asm (being written).
