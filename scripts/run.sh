#!/usr/bin/env bash
# Serve the app on 127.0.0.1:${PORT:-8000}, with a Celery worker beside it when Redis
# answers. The worker is restarted whenever it exits, as Compose and Kubernetes do.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${PORT:-8000}
RESTART_DELAY=2

# Run the worker until this script stops; start it again whenever it exits.
supervise_worker() {
  local worker=""
  trap 'if [ -n "$worker" ]; then kill "$worker" 2>/dev/null; wait "$worker" || true; fi; exit 0' TERM
  while true; do
    $BIN/celery -A config worker --beat --loglevel INFO --concurrency 2 \
      -Q celery,probes &
    worker=$!
    echo "Celery worker started (pid $worker)."
    status=0
    wait "$worker" || status=$?
    worker=""
    echo "Celery worker exited (status $status); starting it again in $RESTART_DELAY s."
    sleep "$RESTART_DELAY"
  done
}

if [ -n "${REDIS_URL:-}" ]; then
  if $BIN/python -c 'import os, redis; redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=1).ping()' 2>/dev/null; then
    echo "Redis answers at $REDIS_URL: starting a Celery worker (with beat) beside the web server."
    supervise_worker &
    SUPERVISOR=$!
    trap 'kill $SUPERVISOR 2>/dev/null; wait $SUPERVISOR 2>/dev/null' EXIT INT TERM
  else
    echo "REDIS_URL is set but Redis does not answer; probe runs will execute in-process."
    unset REDIS_URL
  fi
else
  echo "REDIS_URL is not set: probe runs execute in-process (no worker needed)."
fi

echo "Shipshape: http://127.0.0.1:$PORT/  (Ctrl-C stops everything)"
$BIN/python manage.py runserver "127.0.0.1:$PORT"
