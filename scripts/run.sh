#!/usr/bin/env bash
# Run Labsite locally for a first look: install what is missing, set up the
# local LXD, migrate, create the first admin account and load the demo
# content with a demo student (printing their passwords once), then serve
# on http://127.0.0.1:8000 with uvicorn beside the upkeep process. Ctrl-C
# stops both. HOST and PORT set the address to serve on. Settings come from
# the environment or from .env; without them this runs in DEBUG mode on a
# SQLite file in var/.
set -euo pipefail

cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/setup-lxd.sh
. scripts/lib.sh
load_lxd_settings
use_checkout_name_prefix

export DEBUG=${DEBUG:-true}
# Without a lessons repository of its own, the site syncs the demo course
# that load_demo publishes from examples/course.
export LESSONS_REPO_URL=${LESSONS_REPO_URL:-$PWD/var/demo-lessons}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
PY=.venv/bin/python

$PY manage.py migrate --noinput
$PY manage.py create_first_admin
$PY manage.py load_demo
if [ "${DEBUG,,}" != "true" ]; then
    $PY manage.py collectstatic --noinput
fi

$PY manage.py run_upkeep &
upkeep=$!
$PY -m labsite.serve --host "$HOST" --port "$PORT" &
web=$!

stop() {
    kill -TERM "$web" "$upkeep" 2>/dev/null || true
    wait "$web" "$upkeep" 2>/dev/null || true
}
trap stop INT TERM
for _attempt in $(seq 100); do
    if (: > "/dev/tcp/$HOST/$PORT") 2>/dev/null; then
        break
    fi
    sleep 0.1
done
echo "Labsite is running on http://$HOST:$PORT/ (Ctrl-C stops it)"
# Exit as soon as either process ends, and take the other one down with it.
wait -n "$web" "$upkeep" || true
stop
