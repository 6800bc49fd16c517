#!/usr/bin/env bash
# Serve the app on 127.0.0.1:8000, with a Celery worker beside it when Redis answers.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

if [ -n "${REDIS_URL:-}" ]; then
  if $BIN/python -c 'import os, redis; redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=1).ping()' 2>/dev/null; then
    echo "Redis answers at $REDIS_URL: starting a Celery worker (with beat) beside the web server."
    $BIN/celery -A config worker --beat --loglevel INFO --concurrency 2 \
      -Q celery,probes &
    WORKER=$!
    trap 'kill $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM
  else
    echo "REDIS_URL is set but Redis does not answer; probe runs will execute in-process."
    unset REDIS_URL
  fi
else
  echo "REDIS_URL is not set: probe runs execute in-process (no worker needed)."
fi

echo "Shipshape: http://127.0.0.1:8000/  (Ctrl-C stops everything)"
$BIN/python manage.py runserver 127.0.0.1:8000
