//! Public and private keys: blobs, signatures, private key file formats.
