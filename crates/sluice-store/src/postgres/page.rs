//! Keyset pagination shared by every list query (to be written; mirrors `sqlite/page.rs`).
