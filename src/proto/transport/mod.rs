//! Binary packet protocol: framing, ciphers, MACs, compression.
