//! rspnn-model (being written).
#![no_std]
