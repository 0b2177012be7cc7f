#!/usr/bin/env bash
# Load test: the platform under gunicorn as in production (workers by core count, DEBUG off,
# MariaDB and Redis on this machine), demo data plus 200 viewer accounts, driven for 60 s from a
# second process on loopback. Last line: rps=… p50_ms=… p99_ms=… errors=… throttled=…
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8765}
USERS=${USERS:-200}
SECONDS_TO_RUN=${SECONDS_TO_RUN:-60}
# FULL_PAGES=1: every feed page is a full one (the demo's 30 videos run out after a few pages).
EXTRA=()
[ "${FULL_PAGES:-0}" = 1 ] && EXTRA+=(--full-pages)
WORK=$(mktemp -d)
DB=clip_load

export DATABASE_URL="mysql://root:@127.0.0.1:3306/$DB"
export REDIS_URL="redis://127.0.0.1:6379/14"
export DJANGO_DEBUG=false DJANGO_HTTPS=false VAR_DIR="$WORK" LOG_LEVEL=WARNING
export DJANGO_SECRET_KEY="$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')"
unset DJANGO_SETTINGS_MODULE

cleanup() {
  [ -n "${GUNICORN_PID:-}" ] && kill "$GUNICORN_PID" 2>/dev/null && wait "$GUNICORN_PID" 2>/dev/null || true
  mariadb -h 127.0.0.1 -u root -e "DROP DATABASE IF EXISTS $DB" || true
  redis-cli -n 14 flushdb >/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mariadb -h 127.0.0.1 -u root -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
redis-cli -n 14 flushdb >/dev/null
echo "preparing database and demo content…" >&2
$PY manage.py migrate -v0
$PY manage.py createcachetable
$PY manage.py collectstatic --noinput -v0
$PY manage.py seed_demo --wait >&2
PASSWORD=$($PY -c 'import secrets; print(secrets.token_urlsafe(12))')
$PY manage.py shell -c "
from accounts.models import User
from django.contrib.auth.hashers import make_password
hashed = make_password('$PASSWORD')
User.objects.bulk_create([User(username=f'viewer{i}', email=f'viewer{i}@example.com', password=hashed) for i in range($USERS)], ignore_conflicts=True)
"
# The nightly recommender model, as the schedule trains it in production.
$PY manage.py train_recommender >&2

WORKERS=$(( 2 * $(nproc) + 1 ))
echo "starting gunicorn with $WORKERS workers on 127.0.0.1:$PORT…" >&2
.venv/bin/gunicorn tiktok.wsgi -b 127.0.0.1:$PORT -w "$WORKERS" --timeout 60 --log-level warning &
GUNICORN_PID=$!
for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done

$PY bench/loadgen.py --base "http://127.0.0.1:$PORT" --users "$USERS" --password "$PASSWORD" --seconds "$SECONDS_TO_RUN" "${EXTRA[@]}"
