import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache

BASE_DIR = Path(__file__).resolve().parents[2]

SETTINGS_VARIABLES = {
    "ALLOWED_HOSTS",
    "CSRF_COOKIE_SECURE",
    "DATABASE_URL",
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "REDIS_URL",
    "SECRET_KEY",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
}

PRODUCTION = {
    "SECRET_KEY": "x" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "labs.example.test",
    "CSRF_TRUSTED_ORIGINS": "https://labs.example.test",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
}

PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "cache": settings.CACHES["default"]["BACKEND"],
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "database": settings.DATABASES["default"]["ENGINE"],
    "debug": settings.DEBUG,
    "time_zone": settings.TIME_ZONE,
    "lxd": settings.LXD_ENDPOINT,
    "secret_key": settings.SECRET_KEY,
    "jwt_key": settings.SIMPLE_JWT["SIGNING_KEY"],
}))
"""


def run(args, **env_overrides):
    # Start from a clean slate: the test settings put their own values into
    # this process's environment.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in SETTINGS_VARIABLES and not key.startswith("LXD_")
    }
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "labsite.settings"
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def read_settings(**env_overrides):
    result = run(["-c", PRINT_SETTINGS], **env_overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_refuses_start_without_secret_key():
    result = run(["manage.py", "check"], DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY is not set. Set the SECRET_KEY environment variable" in result.stderr


def test_debug_generates_development_key():
    result = run(["manage.py", "check"], DEBUG="true")

    assert result.returncode == 0, result.stderr
    assert (BASE_DIR / "var" / "development-secret-key").is_file()


def test_secret_key_starting_with_dollar_kept():
    values = read_settings(DEBUG="true", SECRET_KEY="$starts-with-a-dollar-sign-0123456789")

    assert values["secret_key"] == "$starts-with-a-dollar-sign-0123456789"
    assert values["jwt_key"] == "$starts-with-a-dollar-sign-0123456789"


def test_deploy_check_passes_with_production_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_defaults_are_sqlite_and_local_memory():
    values = read_settings(DEBUG="true")

    assert values["database"] == "django.db.backends.sqlite3"
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["layer"] == "channels.layers.InMemoryChannelLayer"
    assert values["time_zone"] == "UTC"
    assert values["lxd"] == ""


def test_environment_selects_redis_and_postgres():
    values = read_settings(
        **PRODUCTION,
        REDIS_URL="redis://127.0.0.1:6379/3",
        TIME_ZONE="Asia/Tashkent",
        LXD_ENDPOINT="https://127.0.0.1:8443",
    )

    assert values["database"] == "django.db.backends.postgresql"
    assert values["cache"] == "django_redis.cache.RedisCache"
    assert values["layer"] == "channels_redis.core.RedisChannelLayer"
    assert values["time_zone"] == "Asia/Tashkent"
    assert values["lxd"] == "https://127.0.0.1:8443"


def test_languages_and_locale_middleware():
    assert [code for code, _ in settings.LANGUAGES] == ["en", "uz", "ru"]
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set")
def test_cache_and_channel_layer_reach_redis():
    cache.set("labsite-test-key", "value", 10)
    layer = get_channel_layer()

    async_to_sync(layer.send)("labsite-test-channel", {"type": "ping"})
    message = async_to_sync(layer.receive)("labsite-test-channel")

    assert cache.get("labsite-test-key") == "value"
    assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert message == {"type": "ping"}
