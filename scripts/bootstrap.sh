#!/usr/bin/env bash
# Install what Labsite needs into this checkout: a Python virtual environment
# with requirements-dev.txt, the npm packages of package.json and the
# compiled translations. Safe to run again: each step is skipped while its
# input file is unchanged.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}

say() { printf 'bootstrap: %s\n' "$*"; }

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "bootstrap: Python 3.11 or newer is needed as '$PYTHON'; set PYTHON=/path/to/python3.11" >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -m venv .venv 2>/dev/null; then
        say "installing python3-venv"
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
        "$PYTHON" -m venv .venv
    fi
    say "created the virtual environment in .venv"
fi

stamp() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

python_stamp=$(stamp requirements.txt requirements-dev.txt)
if [ "$(cat .venv/.requirements-stamp 2>/dev/null)" != "$python_stamp" ]; then
    say "installing Python packages"
    .venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
    echo "$python_stamp" > .venv/.requirements-stamp
else
    say "Python packages: up to date"
fi

if ! command -v npm >/dev/null; then
    say "installing Node.js and npm"
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
npm_stamp=$(stamp package.json package-lock.json)
if [ "$(cat node_modules/.labsite-stamp 2>/dev/null)" != "$npm_stamp" ]; then
    say "installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$npm_stamp" > node_modules/.labsite-stamp
else
    say "npm packages: up to date"
fi

# The SSH tests start their own OpenSSH servers from /usr/sbin/sshd. On a
# machine that runs systemd, the package also starts the system's sshd.
if [ ! -x /usr/sbin/sshd ]; then
    say "installing openssh-server"
    apt-get update -qq && apt-get install -y -qq openssh-server >/dev/null
fi

# The browser tests drive Debian's Chromium through Playwright instead of
# a browser downloaded by `playwright install`.
if [ ! -x /usr/bin/chromium ]; then
    say "installing chromium"
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi

# Check scripts run in the containers under a statically linked bash that
# the platform copies in from the host at check time.
if [ ! -x /bin/bash-static ]; then
    say "installing bash-static"
    apt-get update -qq && apt-get install -y -qq bash-static >/dev/null
fi

# The interface translations: Django reads the .mo files that msgfmt
# compiles from locale/*/LC_MESSAGES/*.po. makemessages needs gettext too.
if ! command -v msgfmt >/dev/null; then
    say "installing gettext"
    apt-get update -qq && apt-get install -y -qq gettext >/dev/null
fi
for po in locale/*/LC_MESSAGES/*.po; do
    [ -e "$po" ] || continue
    mo=${po%.po}.mo
    if [ ! -e "$mo" ] || [ "$po" -nt "$mo" ]; then
        msgfmt --check-format --output-file="$mo" "$po"
        say "compiled $mo"
    fi
done

mkdir -p "$ROOT/var"
