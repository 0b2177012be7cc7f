#!/usr/bin/env bash
# `make run` after the virtual environment is ready: set up (one progress line per step, the
# commands' own output and third-party warnings go to var/log/setup.log), start the web server,
# both job clusters and the demo seeding (their output goes to var/log/run.log), wait until the
# server answers, then print the address and the demo admin's credentials last, in a frame.
# Ctrl-C stops everything. HOST, PORT and SEED_DEMO (1: queue the demo clips) come from the
# environment; tests/ops/test_run_output.py runs this script as `make run` does.
set -uo pipefail

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
SEED_DEMO="${SEED_DEMO:-1}"
VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
LOG_DIR="${VAR_DIR:-var}/log"
SETUP_LOG="$LOG_DIR/setup.log"
RUN_LOG="$LOG_DIR/run.log"
export HOST PORT DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-tiktok.settings}"
# The job clusters and the server log to run.log; nothing the models' libraries print about how
# they were built (export and tracer warnings) is something an operator can act on.
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning,ignore::FutureWarning}"

mkdir -p "$LOG_DIR"
: >"$SETUP_LOG"
STEPS=5
step=0

run_step() {  # run_step "what it does" command...: one line, or the log's tail and exit on failure
    local label="$1"
    shift
    step=$((step + 1))
    printf '[%d/%d] %s\n' "$step" "$STEPS" "$label"
    echo "== $label: $*" >>"$SETUP_LOG"
    if ! "$@" >>"$SETUP_LOG" 2>&1; then
        echo "Failed: $label. The end of $SETUP_LOG:" >&2
        tail -n 20 "$SETUP_LOG" >&2
        exit 1
    fi
}

database() { "$PY" manage.py migrate --noinput && "$PY" manage.py createcachetable; }
admin_out="$(mktemp)"  # the password is printed once, in the frame below, and kept in no log
demo_admin() { "$PY" manage.py ensure_demo_admin >"$admin_out"; }

run_step "Migrating the database" database
run_step "Collecting static files" "$PY" manage.py collectstatic --noinput -v 0
run_step "Setting up the recurring jobs" "$PY" manage.py setup_schedules
run_step "Creating the demo admin" demo_admin
password="$(sed -n 's/.*password=\([^ ]*\).*/\1/p' "$admin_out")"
rm -f "$admin_out"
run_step "Preparing the models (first run: a few minutes)" "$PY" manage.py prepare_models

pids=()
stop() {
    trap - INT TERM
    echo "Stopping…"
    kill "${pids[@]}" 2>/dev/null
    wait 2>/dev/null
    exit 0
}
trap stop INT TERM

: >"$RUN_LOG"
gunicorn_conf=()
[ -f gunicorn.conf.py ] && gunicorn_conf=(-c gunicorn.conf.py)
"$PY" manage.py qcluster >>"$RUN_LOG" 2>&1 &
pids+=($!)
Q_CLUSTER_NAME=long "$PY" manage.py qcluster >>"$RUN_LOG" 2>&1 &
pids+=($!)
"$VENV/bin/gunicorn" "${gunicorn_conf[@]}" tiktok.wsgi -b "$HOST:$PORT" >>"$RUN_LOG" 2>&1 &
server=$!
pids+=("$server")
if [ "$SEED_DEMO" = 1 ]; then
    "$PY" manage.py seed_demo >>"$RUN_LOG" 2>&1 &
    pids+=($!)
fi

echo "Starting the web server and the job clusters…"
url="http://$HOST:$PORT/"
for _ in $(seq 1 240); do
    if ! kill -0 "$server" 2>/dev/null; then
        echo "The web server stopped. The end of $RUN_LOG:" >&2
        tail -n 20 "$RUN_LOG" >&2
        stop
    fi
    if "$PY" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "${url}healthz" 2>/dev/null; then
        break
    fi
    sleep 0.5
done

if [ -n "$password" ]; then
    credentials="username admin   password $password"
else
    credentials="username admin   (password shown when it was created)"
fi
lines=(
    "Clip is running at $url"
    "Admin: ${url}admin/"
    "  $credentials"
    "Reset the password: $PY manage.py changepassword admin"
    "Logs: $RUN_LOG. Ctrl-C stops everything."
)
[ "$SEED_DEMO" = 1 ] && lines+=("Demo clips are being made; the feed fills as they finish.")
width=0
for line in "${lines[@]}"; do [ ${#line} -gt $width ] && width=${#line}; done
border="$(printf '%*s' $((width + 2)) '' | tr ' ' '-')"
echo "+$border+"
for line in "${lines[@]}"; do printf '| %-*s |\n' "$width" "$line"; done
echo "+$border+"

wait
