//! n64-demo (being written).
#![no_std]
