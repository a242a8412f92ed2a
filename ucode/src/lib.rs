//! rspnn-ucode (being written).
#![no_std]
