//! z64-rsp (being written).
