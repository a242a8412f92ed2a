//! rsp-sim (being written).
