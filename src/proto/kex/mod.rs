//! Key exchange methods (RFC 4253, 4419, 5656, 8731, 9142 and OpenSSH PQ hybrids).
