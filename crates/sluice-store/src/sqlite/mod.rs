//! Embedded SQLite backend. (Being written.)
