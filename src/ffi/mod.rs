//! The C ABI: the only code that touches raw pointers and `extern "C"`.

pub mod types;
