//! Oracle types.
