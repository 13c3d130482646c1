#!/usr/bin/env bash
# Start N replicas of CallScreen Academy (Streamlit) on consecutive ports, for a
# load balancer with sticky sessions in front (deploy/nginx.conf).
#
#   deploy/run-replicas.sh [N] [FIRST_PORT]        (default: 2 replicas from port 8501)
#
# Every replica must share three things, read from the environment:
#   DATABASE_URL     the same database (PostgreSQL: postgresql+psycopg://user@host/db)
#   COOKIE_SECRET    the same Streamlit cookie secret
#   AUDIO_CACHE_DIR  the same folder of rendered call audio (a shared disk)
# Optional: REPLICA_ADDRESS (default 127.0.0.1: only the load balancer talks to the
# replicas), LOG_DIR (default data/logs), PYTHON (default .venv/bin/python),
# APP_ENV (default production).
#
# The script migrates the database once, starts the replicas, waits until each one
# answers /_stcore/health, prints "ready" and then stays in the foreground. When
# one replica dies or the script is stopped (Ctrl-C, SIGTERM), it stops them all,
# so a service manager (systemd) can restart the set.
set -euo pipefail

N="${1:-2}"
FIRST_PORT="${2:-8501}"
ADDRESS="${REPLICA_ADDRESS:-127.0.0.1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
LOG_DIR="${LOG_DIR:-$ROOT/data/logs}"
export APP_ENV="${APP_ENV:-production}"
# A server never needs to watch its own source files for changes.
export STREAMLIT_SERVER_FILE_WATCHER_TYPE="${STREAMLIT_SERVER_FILE_WATCHER_TYPE:-none}"
export STREAMLIT_SERVER_RUN_ON_SAVE=false
# Streamlit runs a full garbage collection after every script run, clock ticks
# included; with this app loaded that holds the interpreter for ~80 ms each time
# and caps a process at a few interactions per second (README, "Capacity").
export STREAMLIT_RUNNER_POST_SCRIPT_GC="${STREAMLIT_RUNNER_POST_SCRIPT_GC:-false}"

fail() { echo "error: $*" >&2; exit 2; }

[[ "$N" =~ ^[1-9][0-9]*$ ]] || fail "N must be a positive number, not '$N'"
[[ "$FIRST_PORT" =~ ^[0-9]+$ ]] || fail "FIRST_PORT must be a port number, not '$FIRST_PORT'"
(( FIRST_PORT + N - 1 <= 65535 )) || fail "ports $FIRST_PORT.. do not fit below 65536"
[[ -n "${DATABASE_URL:-}" ]] || fail "set DATABASE_URL (shared by every replica)"
[[ -n "${COOKIE_SECRET:-}" ]] || fail "set COOKIE_SECRET (the same on every replica)"
[[ -n "${AUDIO_CACHE_DIR:-}" ]] || fail "set AUDIO_CACHE_DIR (a folder every replica can read and write)"
[[ -x "$PYTHON" ]] || fail "no Python at $PYTHON (set PYTHON)"
if [[ "$DATABASE_URL" == sqlite* ]]; then
  echo "warning: SQLite works for replicas on this one machine only; use PostgreSQL across machines" >&2
fi

export DATABASE_URL COOKIE_SECRET AUDIO_CACHE_DIR
mkdir -p "$LOG_DIR" "$AUDIO_CACHE_DIR"
cd "$ROOT"

"$PYTHON" -m app init-db >"$LOG_DIR/init-db.log" 2>&1 || {
  cat "$LOG_DIR/init-db.log" >&2
  fail "could not migrate the database"
}

pids=()
stop_all() {
  trap - EXIT INT TERM
  if ((${#pids[@]})); then
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop_all EXIT
trap 'exit 0' INT TERM

for ((i = 0; i < N; i++)); do
  port=$((FIRST_PORT + i))
  "$PYTHON" -m app serve --port "$port" --address "$ADDRESS" >"$LOG_DIR/replica-$port.log" 2>&1 &
  pids+=("$!")
  echo "replica $((i + 1)) of $N: pid $! on http://$ADDRESS:$port (log $LOG_DIR/replica-$port.log)"
done

health_host="$ADDRESS"
[[ "$health_host" == "0.0.0.0" ]] && health_host=127.0.0.1
for ((i = 0; i < N; i++)); do
  port=$((FIRST_PORT + i))
  for ((try = 0; ; try++)); do
    if "$PYTHON" - "$health_host" "$port" <<'EOF' 2>/dev/null; then break; fi
import sys, urllib.request
with urllib.request.urlopen(f"http://{sys.argv[1]}:{sys.argv[2]}/_stcore/health", timeout=2) as r:
    sys.exit(0 if r.read().strip() == b"ok" else 1)
EOF
    kill -0 "${pids[$i]}" 2>/dev/null || { tail -n 20 "$LOG_DIR/replica-$port.log" >&2; fail "replica on port $port exited"; }
    ((try < 120)) || fail "replica on port $port did not become healthy in 60 s"
    sleep 0.5
  done
done
echo "ready: $N replicas on $ADDRESS:$FIRST_PORT-$((FIRST_PORT + N - 1))"

# Stay in the foreground; if any replica exits, stop the others and fail.
set +e
wait -n "${pids[@]}"
status=$?
echo "a replica exited (status $status); stopping the others" >&2
exit 1
