"""Django settings for Labsite.

Every value comes from an environment variable or from a `.env` file in the
project root; docs/configuration.md lists them all with their defaults.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)


def _development_secret_key():
    """Return a key kept in var/ so that sessions survive a restart."""
    path = STATE_DIR / "development-secret-key"
    if not path.exists():
        STATE_DIR.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _secret(name):
    """Return a secret from the environment exactly as written.

    django-environ would read a value that starts with "$" as the name of
    another variable, and keys may start with "$".
    """
    return os.environ.get(name, "")


SECRET_KEY = _secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "to a long random string (python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'), or set DEBUG=true for a "
            "local development run."
        )
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework_simplejwt",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "axes",
    "accounts",
    "containers",
    "courses",
    "labs",
    "exams",
    "labsite",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.HtmxLoginRedirectMiddleware",
    # Axes must come last so that it reads the lockout flag set during login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "labsite.urls"
ASGI_APPLICATION = "labsite.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: a SQLite file for a first local run, PostgreSQL in production.
if "DATABASE_URL" not in env:
    STATE_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{STATE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The SQLite file of a first local run. In WAL mode readers go on while
    # one writer writes. Each transaction takes the write lock when it
    # begins, so while a grading has its attempt's row, other writers wait
    # up to the timeout (seconds) instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 30}
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and channel layer: Redis when REDIS_URL is set, local memory otherwise.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="labsite"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels-redis 4.3 waits up to 5 s for a message with BZPOPMIN.
                # redis-py 8 stops reading after 5 s by default, which would fail
                # every idle consumer, so the socket timeout must be longer.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": env.str("CACHE_KEY_PREFIX", default="labsite"),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it rejects locked-out logins before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.UsernameOrEmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login rate limit (django-axes): a username or an IP address is locked out
# for AXES_COOLOFF_MINUTES after AXES_FAILURE_LIMIT failed logins.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
AXES_USERNAME_FORM_FIELD = "username"

LANGUAGES = [
    ("en", _("English")),
    ("uz", _("Uzbek")),
    ("ru", _("Russian")),
]
# The language of a visitor who has chosen none and whose browser requests
# none of LANGUAGES.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"LANGUAGE_CODE={LANGUAGE_CODE!r} is not supported. Set it to one of: "
        + ", ".join(code for code, name in LANGUAGES)
        + "."
    )
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Front-end packages come from the npm registry (package.json) and are served
# from node_modules through the static files finders, never from a CDN.
NODE_MODULES = BASE_DIR / "node_modules"
for prefix, folder in [
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/xterm", NODE_MODULES / "@xterm" / "xterm"),
    ("vendor/xterm-addon-fit", NODE_MODULES / "@xterm" / "addon-fit"),
    ("vendor/asciinema-player", NODE_MODULES / "asciinema-player" / "dist" / "bundle"),
]:
    if folder.is_dir():
        STATICFILES_DIRS.append((prefix, folder))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Security. The defaults suit production behind a TLS-terminating proxy; a
# plain-HTTP local run sets DEBUG=true, which relaxes them.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [
    # HSTS subdomains and preload are a decision for the site's owner, so they
    # are opt-in settings rather than forced on.
    "security.W005",
    "security.W021",
]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # xterm.js sets colours and sizes in style attributes and elements.
        # Lesson HTML cannot carry styles: the sanitizer removes them.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsActiveUser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "labsite.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": _secret("JWT_SIGNING_KEY") or SECRET_KEY,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Labsite API",
    "DESCRIPTION": "JSON API of Labsite, a self-hosted platform for teaching Linux.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" field with their own choices; each gets a schema name.
    "ENUM_NAME_OVERRIDES": {
        "ContainerStatusEnum": "containers.models.Status",
        "LabAttemptStatusEnum": "labs.models.AttemptStatus",
        "ExamAttemptStatusEnum": "exams.models.AttemptStatus",
    },
}

# Read by the container, terminal and lesson parts.
LXD_ENDPOINT = env.str("LXD_ENDPOINT", default="")
LXD_CERT_PATH = env.str("LXD_CERT_PATH", default="")
LXD_KEY_PATH = env.str("LXD_KEY_PATH", default="")
LXD_SERVER_CERT_PATH = env.str("LXD_SERVER_CERT_PATH", default="")
LXD_PROJECT = env.str("LXD_PROJECT", default="default")
LXD_SSH_JUMP_HOST = env.str("LXD_SSH_JUMP_HOST", default="")
LESSONS_REPO_URL = env.str("LESSONS_REPO_URL", default="")
LESSONS_SSH_KEY_PATH = env.str("LESSONS_SSH_KEY_PATH", default="")
LESSONS_BRANCH = env.str("LESSONS_BRANCH", default="main")
LESSONS_CHECKOUT_DIR = env.str("LESSONS_CHECKOUT_DIR", default=str(STATE_DIR / "lessons"))
LESSONS_MAX_FILE_BYTES = env.int("LESSONS_MAX_FILE_BYTES", default=512 * 1024)
SSH_KEY_PATH = env.str("SSH_KEY_PATH", default=str(STATE_DIR / "ssh" / "id_ed25519"))
SSH_CONNECT_TIMEOUT = env.float("SSH_CONNECT_TIMEOUT", default=10.0)
LXD_SSH_JUMP_KEY_PATH = env.str("LXD_SSH_JUMP_KEY_PATH", default=SSH_KEY_PATH)
LXD_SSH_JUMP_KNOWN_HOSTS = env.str("LXD_SSH_JUMP_KNOWN_HOSTS", default="")

# Containers: what each one is made from and the limits it gets.
LXD_IMAGE = env.str("LXD_IMAGE", default="labsite/debian-12")
# Prefix of the names of the LXD instances this platform owns; upkeep deletes
# instances with the prefix that have no row. Give each site sharing one LXD
# project its own.
CONTAINER_NAME_PREFIX = env.str("CONTAINER_NAME_PREFIX", default="ls-")
LXD_PROFILE = env.str("LXD_PROFILE", default="labsite")
LXD_STORAGE_POOL = env.str("LXD_STORAGE_POOL", default="labsite")
CONTAINER_CPU = env.str("CONTAINER_CPU", default="1")
CONTAINER_MEMORY = env.str("CONTAINER_MEMORY", default="512MiB")
CONTAINER_PROCESSES = env.int("CONTAINER_PROCESSES", default=512)
CONTAINER_DISK = env.str("CONTAINER_DISK", default="2GiB")
# Seconds a new container may take to get an address and accept SSH connections.
CONTAINER_BOOT_TIMEOUT = env.int("CONTAINER_BOOT_TIMEOUT", default=60)
SANDBOX_IDLE_MINUTES = env.int("SANDBOX_IDLE_MINUTES", default=60)
SANDBOX_LIFETIME_HOURS = env.int("SANDBOX_LIFETIME_HOURS", default=7 * 24)
LAB_CONTAINER_LIFETIME_HOURS = env.int("LAB_CONTAINER_LIFETIME_HOURS", default=24)
EXAM_CONTAINER_LIFETIME_HOURS = env.int("EXAM_CONTAINER_LIFETIME_HOURS", default=12)
# Graded exam containers are kept as stopped copies this many days, for regrading.
EXAM_SNAPSHOT_DAYS = env.int("EXAM_SNAPSHOT_DAYS", default=30)
EXAM_GRADING_RETRY_SECONDS = env.int("EXAM_GRADING_RETRY_SECONDS", default=30)
EXAM_GRADING_MAX_FAILURES = env.int("EXAM_GRADING_MAX_FAILURES", default=20)

# Browser terminals. See docs/terminal-protocol.md for what each one means.
TERMINAL_GRACE_SECONDS = env.int("TERMINAL_GRACE_SECONDS", default=60)
TERMINAL_IDLE_SECONDS = env.int("TERMINAL_IDLE_SECONDS", default=30 * 60)
TERMINAL_HIGH_WATERMARK = env.int("TERMINAL_HIGH_WATERMARK", default=256 * 1024)
TERMINAL_LOW_WATERMARK = env.int("TERMINAL_LOW_WATERMARK", default=64 * 1024)
TERMINAL_REPLAY_BYTES = env.int("TERMINAL_REPLAY_BYTES", default=64 * 1024)
TERMINAL_SSH_WINDOW = env.int("TERMINAL_SSH_WINDOW", default=128 * 1024)
TERMINAL_SSH_KEEPALIVE = env.int("TERMINAL_SSH_KEEPALIVE", default=30)
TERMINAL_CHECK_SECONDS = env.float("TERMINAL_CHECK_SECONDS", default=3.0)
RECORDINGS_ROOT = env.str("RECORDINGS_ROOT", default=str(STATE_DIR / "recordings"))

# Check scripts of labs and exams (containers/checks.py).
CHECK_BASH_PATH = env.str("CHECK_BASH_PATH", default="/bin/bash-static")
CHECK_TIMEOUT_SECONDS = env.int("CHECK_TIMEOUT_SECONDS", default=20)
CHECK_MAX_OUTPUT = env.int("CHECK_MAX_OUTPUT", default=64 * 1024)
CHECK_FEEDBACK_LINES = env.int("CHECK_FEEDBACK_LINES", default=20)

# Seconds between two passes of `manage.py run_upkeep`.
UPKEEP_INTERVAL = env.float("UPKEEP_INTERVAL", default=5.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "filters": {
        "redact_token_parameter": {"()": "labsite.log_filters.RedactTokenParameter"},
    },
    "handlers": {
        # uvicorn logs the URL of each WebSocket handshake, and a terminal
        # URL may carry a token. The filter covers every logger that logs here.
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_token_parameter"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler prints its records a second time,
        # without a timestamp, when DEBUG is on. No ADMINS are set, so its
        # mail_admins handler sends nothing either.
        "django": {"handlers": [], "propagate": True},
        # paramiko logs every connection and authentication at INFO.
        "paramiko": {"level": "WARNING"},
    },
}
