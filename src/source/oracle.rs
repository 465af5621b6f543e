//! Oracle source (oracle crate, blocking, on spawn_blocking threads).
