#!/usr/bin/env bash
# The one command: builds sluice and the bench (release), runs every phase, prints the table
# and appends it as a dated entry to bench/README.md. Extra arguments go to sluice-bench
# (see `cargo run --release -p sluice-bench -- --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release -p sluice-bench -- --write-results "$@"
