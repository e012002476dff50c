//! The sans-IO SSH core: bytes in, bytes out, no sockets and no clocks.

pub mod kex;
pub mod conn;
pub mod msg;
pub mod transport;
pub mod wire;
