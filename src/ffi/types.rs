//! `#[repr(C)]` mirrors of the structs in include/*.h.
