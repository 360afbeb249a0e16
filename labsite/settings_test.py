"""Settings for the test suite: the production settings with test defaults.

Environment variables still win, so CI points DATABASE_URL and REDIS_URL at
the real PostgreSQL and Redis.
"""

import os

os.environ.setdefault("SECRET_KEY", "labsite-test-suite-only-key-not-for-any-deployment")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")

from labsite.settings import *  # noqa: F403
from labsite.settings import STORAGES

# The manifest storage needs collectstatic; tests render templates without it.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
