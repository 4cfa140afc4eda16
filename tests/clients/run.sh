#!/usr/bin/env bash
# Real-client compatibility tests: the aws CLI (v1) and boto3 against `s3-harness serve`,
# one server over plain HTTP and one over HTTPS (`serve --tls`) of the same world; and
# pyarrow and polars reading the tables of tables_csv.toml and tables_parquet.toml (one
# server each) to the same rows as `s3-harness import` writes.
#
#   bash tests/clients/run.sh
#
# Needs python3 (3.11) with pip reaching PyPI (its venv module when present, otherwise
# virtualenv is fetched from PyPI), and cargo unless S3_HARNESS_BIN names a built binary.
# Environment knobs:
#   CLIENTS_VENV      venv to create/reuse (default target/clients-venv)
#   S3_HARNESS_BIN    use this s3-harness binary instead of `cargo build -p s3-harness`
#   PYTHON            interpreter the venv is made from (default python3)
# Exit status: 0 when every check passed, non-zero otherwise. The last line of the test
# script's output is `N passed, M failed`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

venv="${CLIENTS_VENV:-target/clients-venv}"
python="${PYTHON:-python3}"
req="$here/requirements.txt"
world="$here/world.toml"
start_timeout=20

log() { printf 'clients: %s\n' "$*" >&2; }

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

# --- venv with the pinned clients --------------------------------------------------------
# The stamp holds a hash of the requirements and the interpreter: when either changes the
# venv is rebuilt from scratch, otherwise it is reused without asking pip anything.
case "$venv" in /*) ;; *) venv="$root/$venv" ;; esac
req_hash="$( (cat "$req"; "$python" -c 'import sys; print(sys.executable, sys.version)') | sha256sum | cut -d' ' -f1)"
stamp="$venv/.requirements.sha256"

make_venv() {
    if [[ -e "$venv" && ! -f "$venv/pyvenv.cfg" && -n "$(ls -A "$venv" 2>/dev/null)" ]]; then
        log "$venv exists and is not a venv; not replacing it (set CLIENTS_VENV elsewhere)"
        exit 1
    fi
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    # Debian's python3 without the python3-venv package has no ensurepip: then take
    # virtualenv from PyPI into a scratch folder (--target is allowed on an
    # externally-managed interpreter) and let it seed pip.
    if "$python" -c 'import ensurepip, venv' 2>/dev/null && "$python" -m venv "$venv"; then
        return
    fi
    log "python -m venv unavailable; using virtualenv from PyPI"
    rm -rf "$venv"
    local tools
    tools="$(mktemp -d "${TMPDIR:-/tmp}/clients-virtualenv.XXXXXX")"
    "$python" -m pip install --quiet --disable-pip-version-check --no-input --target "$tools" 'virtualenv>=20,<21'
    PYTHONPATH="$tools" "$python" -m virtualenv --quiet "$venv"
    rm -rf "$tools"
}

if [[ "$(cat "$stamp" 2>/dev/null || true)" == "$req_hash" ]] && "$venv/bin/python" -c 'import boto3, awscli, pyarrow, polars' 2>/dev/null; then
    log "reusing venv $venv"
else
    log "creating venv $venv and installing $(grep -cv '^[[:space:]]*\(#\|$\)' "$req") pinned packages"
    make_venv
    "$venv/bin/python" -m pip install --quiet --no-input \
        --require-virtualenv -r "$req"
    echo "$req_hash" >"$stamp"
fi

# --- the simulator ----------------------------------------------------------------------
if [[ -n "${S3_HARNESS_BIN:-}" ]]; then
    bin="$S3_HARNESS_BIN"
else
    log "building s3-harness"
    cargo build --quiet -p s3-harness
    bin="${CARGO_TARGET_DIR:-target}/debug/s3-harness"
fi
[[ -x "$bin" ]] || { log "no s3-harness binary at $bin"; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/s3-clients.XXXXXX")"
server_pids=()
tests_pid=""
cleanup() {
    if [[ -n "$tests_pid" ]] && kill -0 "$tests_pid" 2>/dev/null; then
        kill -TERM "$tests_pid" 2>/dev/null || true
        wait "$tests_pid" 2>/dev/null || true
    fi
    local pid
    for pid in "${server_pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || continue
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_serve NAME [ARGS...]: starts `s3-harness serve WORLD ARGS...` with its output in
# $work/NAME.out and .err, and waits for its first line: sets `endpoint`, and `ca` (the
# second line, printed with --tls; empty otherwise).
start_serve() {
    local name="$1" pid
    shift
    local world="${serve_world:-$world}"
    : >"$work/$name.out"
    : >"$work/$name.err"
    NO_COLOR=1 "$bin" serve "$world" --addr 127.0.0.1:0 "$@" >"$work/$name.out" 2>"$work/$name.err" &
    pid=$!
    server_pids+=("$pid")
    endpoint=""
    ca=""
    local deadline=$((SECONDS + start_timeout)) want_ca=0
    [[ " $* " == *" --tls "* ]] && want_ca=1
    while :; do
        endpoint="$(sed -n 's/^endpoint: \(https\{0,1\}:\/\/127\.0\.0\.1:[0-9][0-9]*\)$/\1/p' "$work/$name.out" | head -n1 || true)"
        ca="$(sed -n '2s/^ca: //p' "$work/$name.out" || true)"
        [[ -n "$endpoint" ]] && ((want_ca == 0 || ${#ca} > 0)) && break
        if ! kill -0 "$pid" 2>/dev/null; then
            log "s3-harness serve ($name) exited before printing its endpoint:"
            cat "$work/$name.out" "$work/$name.err" >&2
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            log "no endpoint line from s3-harness serve ($name) within ${start_timeout}s:"
            cat "$work/$name.out" "$work/$name.err" >&2
            exit 1
        fi
        sleep 0.1
    done
    log "serving $world at $endpoint ($name, pid $pid)"
}

start_serve serve
http_endpoint="$endpoint"
# The same world over HTTPS, with the CA file clients trust.
start_serve serve-tls --tls
tls_endpoint="$endpoint"
tls_ca="$ca"
endpoint="$http_endpoint"

# The table worlds: each table imported with `s3-harness import` (the reference rows),
# then served for pyarrow and polars. `run` checks their [expect] first.
tables=""
for fmt in csv parquet; do
    table_world="$here/tables_$fmt.toml"
    "$bin" run --color never "$table_world" >"$work/run-$fmt.out" || {
        log "s3-harness run $table_world:"
        cat "$work/run-$fmt.out" >&2
        exit 1
    }
    for table in $(sed -n 's/^# tables: //p' "$table_world"); do
        "$bin" import "$table_world" --table "$table" --out "$work/$fmt-$table.parquet" >/dev/null
    done
    serve_world="$table_world" start_serve "serve-$fmt"
    tables="${tables:+$tables,}$fmt=$endpoint"
done
endpoint="$http_endpoint"

# --- the checks ---------------------------------------------------------------------------
owner=111122223333
status=0
# The clients talk to 127.0.0.1 only: no proxy (pip above keeps the machine's settings).
env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u all_proxy -u ALL_PROXY \
    -u no_proxy -u NO_PROXY \
    -u AWS_SESSION_TOKEN -u AWS_PROFILE -u AWS_DEFAULT_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 \
    PATH="$venv/bin:$PATH" \
    VIRTUAL_ENV="$venv" \
    AWS_ACCESS_KEY_ID="AKIAROOT$owner" \
    AWS_SECRET_ACCESS_KEY="root-secret-$owner" \
    AWS_DEFAULT_REGION=eu-west-1 \
    AWS_REGION=eu-west-1 \
    AWS_CONFIG_FILE=/dev/null \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    AWS_EC2_METADATA_DISABLED=true \
    AWS_PAGER= \
    PYTHONUTF8=1 \
    CLIENTS_SUMMARY_FILE="$work/summary" \
    CLIENTS_TLS_ENDPOINT="$tls_endpoint" \
    CLIENTS_TLS_CA="$tls_ca" \
    CLIENTS_TABLES="$tables" \
    CLIENTS_IMPORTS="$work" \
    CLIENTS_HARNESS_BIN="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")" \
    timeout 180 "$venv/bin/python" "$here/test_clients.py" "$endpoint" &
# In the background so that a signal to this script runs its trap at once, not after the
# checks end; the trap stops them and the server.
tests_pid=$!
wait "$tests_pid" || status=$?
tests_pid=""

if ((status != 0)); then
    log "checks failed (exit $status); the last of the server's log:"
    tail -n 40 "$work/serve.err" "$work/serve-tls.err" >&2 || true
    # Close on the summary again, or say why there is none (e.g. the 180 s timeout: 124).
    if [[ -s "$work/summary" ]]; then
        echo "clients: $(cat "$work/summary")"
    else
        log "the checks did not finish"
    fi
fi
exit "$status"
