//! The sans-IO SSH core: bytes in, bytes out, no sockets and no clocks.

pub mod conn;
pub mod kex;
pub mod msg;
pub mod transport;
pub mod wire;
