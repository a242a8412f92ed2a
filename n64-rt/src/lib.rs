//! n64-rt (being written).
#![no_std]
