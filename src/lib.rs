//! rspnn: neural-network inference on the Nintendo 64's RSP.
//!
//! This crate is `no_std`. It will hold the VR4300-side scheduler that hands the RSP its work
//! (see the README for the project's layout and state).
#![no_std]
