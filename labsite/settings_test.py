"""Settings for the test suite: the production settings with test defaults.

Environment variables still win, so CI points DATABASE_URL and REDIS_URL at
the real PostgreSQL and Redis.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", "labsite-test-suite-only-key-not-for-any-deployment")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
# Each test run owns its own instance names, so runs that share the local LXD
# never reconcile or clean up each other's containers. Set in the environment,
# so servers that the tests start as subprocesses use the same prefix.
os.environ.setdefault("CONTAINER_NAME_PREFIX", f"lt{secrets.token_hex(3)}-")

from labsite.settings import *  # noqa: F403
from labsite.settings import STORAGES

# The manifest storage needs collectstatic; tests render templates without it.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The web server of the browser tests serves static files from the finders
# (static/ and node_modules), as runserver does, without collectstatic.
WHITENOISE_USE_FINDERS = True
