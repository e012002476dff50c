//! known_hosts files: parse, match, write (OpenSSH format).
