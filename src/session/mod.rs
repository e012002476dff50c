//! Safe Session: protocol core plus I/O plus resumable operation slots.
