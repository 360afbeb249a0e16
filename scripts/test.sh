#!/usr/bin/env bash
# Run the whole test suite: lint, migration check and pytest, against the
# PostgreSQL and Redis named by DATABASE_URL and REDIS_URL (by default the
# local servers on 127.0.0.1). Extra arguments go to pytest.
set -euo pipefail

cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/setup-lxd.sh
. scripts/lib.sh
load_lxd_settings

export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/labsite}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export DJANGO_SETTINGS_MODULE=labsite.settings_test

.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Models and migrations must agree; no database is needed for that.
DATABASE_URL=sqlite://:memory: .venv/bin/python manage.py makemigrations --check --dry-run
.venv/bin/pytest "$@"
