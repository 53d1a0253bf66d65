#!/usr/bin/env bash
# Runs the Svix SDK compatibility suites (Python and JavaScript) against a Sluice binary.
#
#   tests/compat/run.sh [path/to/sluice] [extra pytest args...]
#   COMPAT_SUITES=js tests/compat/run.sh target/release/sluice     # one suite only
#
# Builds nothing. Creates (or reuses) a venv at target/compat-venv with the pinned Python
# requirements and installs the pinned npm packages of tests/compat/js (npm ci, into its
# node_modules), starts the given binary once on a free loopback port with a fresh data
# dir, waits for it to answer the health check, obtains an org token, runs pytest and then
# `node --test` with SLUICE_URL and SLUICE_TOKEN set, and always stops the server. Exit
# code: 0 when every suite passed, else the first failing suite's.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

BIN="${1:-target/release/sluice}"
if [[ $# -gt 0 ]]; then shift; fi
# Relative paths are taken from the current directory, else from the repository root.
if [[ "$BIN" != /* ]]; then
    if [[ -e "$PWD/$BIN" ]]; then BIN="$PWD/$BIN"; else BIN="$ROOT/$BIN"; fi
fi
if [[ ! -x "$BIN" ]]; then
    echo "compat: sluice binary not found or not executable: $BIN" >&2
    echo "compat: build it first (cargo build --release -p sluice) or pass its path as \$1" >&2
    exit 2
fi

log() { echo "compat: $*" >&2; }

SUITES="${COMPAT_SUITES:-python js}"
wants() { [[ " $SUITES " == *" $1 "* ]]; }

# Configuration of our own server comes only from this script: drop any SLUICE_* the
# caller's environment may carry (a stray SLUICE_DATABASE_URL would point at their data).
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^SLUICE_' || true)
unset SLUICE_CONFIG

# --- venv -----------------------------------------------------------------------------
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
    log "need Python >= 3.10 (svix 2.9.1); found: $("$PYTHON" --version 2>&1 || echo none)"
    exit 2
fi
VENV="$ROOT/target/compat-venv"
REQ="$HERE/requirements.txt"
STAMP="$VENV/.requirements.sha256"
want="$( (sha256sum "$REQ" | cut -d' ' -f1; "$PYTHON" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" || ! -f "$STAMP" || "$(cat "$STAMP")" != "$want" ]]; then
    log "preparing venv at $VENV"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
    timeout 600 "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQ"
    echo "$want" > "$STAMP"
fi
VPY="$VENV/bin/python"

# --- npm packages of the JavaScript suite ---------------------------------------------
JS="$HERE/js"
if wants js; then
    if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
        log "need Node.js >= 20 for the JavaScript suite; found: $(node --version 2>&1 || echo none)"
        exit 2
    fi
    JS_STAMP="$JS/node_modules/.sluice-lock.sha256"
    js_want="$( (sha256sum "$JS/package-lock.json" | cut -d' ' -f1; node --version) | sha256sum | cut -d' ' -f1)"
    if [[ ! -f "$JS_STAMP" || "$(cat "$JS_STAMP")" != "$js_want" ]]; then
        log "installing the JavaScript suite's packages (npm ci in $JS)"
        (cd "$JS" && timeout 600 npm ci --no-audit --no-fund --loglevel=error)
        echo "$js_want" > "$JS_STAMP"
    fi
fi

# --- server ---------------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sluice-compat.XXXXXX")"
DATA="$WORK/data"
SERVER_LOG="$ROOT/target/compat-server.log"
SERVER_PID=""

cleanup() {
    local rc=$?
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            log "server did not stop within 10 s of SIGTERM; killing it"
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    "$VPY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# One health probe: 0 when /api/v1/health/ping or /api/v1/health answers 2xx.
probe() {
    "$VPY" - "$1" <<'PY'
import sys, urllib.request
base = sys.argv[1]
for path in ("/api/v1/health/ping", "/api/v1/health"):
    try:
        with urllib.request.urlopen(base + path, timeout=2) as r:
            if 200 <= r.status < 300:
                sys.exit(0)
    except Exception:
        pass
sys.exit(1)
PY
}

# The token first: it creates the JWT secret in the data dir, which serve then reuses.
mkdir -p "$DATA"
TOKEN="$(cd "$WORK" && timeout 60 "$BIN" token --data-dir "$DATA")"
if [[ -z "$TOKEN" ]]; then
    log "'sluice token' printed nothing"
    exit 2
fi

: > "$SERVER_LOG"
URL=""
for try in 1 2 3; do
    PORT="$(free_port)"
    log "starting $BIN on 127.0.0.1:$PORT (data dir $DATA, try $try)"
    # Run from the temp dir so a sluice.toml in the caller's directory is not picked up.
    (
        cd "$WORK"
        export SLUICE_LISTEN="127.0.0.1:$PORT"
        export SLUICE_DATA_DIR="$DATA"
        export SLUICE_ALLOWED_NETWORKS="127.0.0.0/8"
        export SLUICE_RETRY_SCHEDULE="1,1"
        export RUST_LOG="${RUST_LOG:-info}"
        export NO_COLOR=1
        exec "$BIN" serve --data-dir "$DATA" >>"$SERVER_LOG" 2>&1
    ) &
    SERVER_PID=$!
    deadline=$((SECONDS + 30))
    while (( SECONDS < deadline )); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
        if probe "http://127.0.0.1:$PORT"; then URL="http://127.0.0.1:$PORT"; break; fi
        sleep 0.2
    done
    [[ -n "$URL" ]] && break
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        log "server did not answer the health check within 30 s"
        break
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    log "server exited during startup (port taken?)"
done
if [[ -z "$URL" ]]; then
    log "server failed to start; last lines of $SERVER_LOG:"
    tail -n 40 "$SERVER_LOG" >&2 || true
    exit 1
fi
log "server up at $URL (log: $SERVER_LOG)"

# --- tests ----------------------------------------------------------------------------
# Both suites share the server; each makes its own applications and sources.
rc=0
run_suite() {
    local name=$1; shift
    set +e
    SLUICE_URL="$URL" SLUICE_TOKEN="$TOKEN" "$@"
    local code=$?
    set -e
    if [[ $code -eq 124 ]]; then log "the $name suite exceeded its time limit and was stopped"; fi
    if [[ $code -ne 0 ]]; then
        log "$name suite failed (exit $code); last lines of the server log ($SERVER_LOG):"
        tail -n 30 "$SERVER_LOG" >&2 || true
        if [[ $rc -eq 0 ]]; then rc=$code; fi
    fi
}
if wants python; then
    run_suite python timeout 1200 "$VPY" -m pytest -p no:cacheprovider --timeout=180 -ra "$HERE" "$@"
fi
if wants js; then
    run_suite javascript timeout 900 node --test --test-timeout=180000 "$JS"/*.test.js
fi
exit "$rc"
