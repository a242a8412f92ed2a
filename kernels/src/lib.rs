//! kernels (being written).
#![no_std]
