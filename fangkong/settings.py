"""Settings for fangkong: every value comes from the environment (see .env.example).

Nothing secret lives in this file. Local development and `make demo` read `var/.env` (written by
`fangkong demo` on first run, with a generated SECRET_KEY) before falling back to defaults.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("FANGKONG_VAR_DIR", PROJECT_DIR / "var"))
try:  # the SQLite database, the huey queue and uploads live here by default
    VAR_DIR.mkdir(parents=True, exist_ok=True)
except OSError:  # a read-only or absent location: the environment must point elsewhere
    pass


def _load_env_file(path: Path) -> None:
    """Read KEY=VALUE lines into os.environ without overriding what is already set."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


_load_env_file(Path(os.environ.get("FANGKONG_ENV_FILE", VAR_DIR / ".env")))


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


TESTING = "pytest" in sys.modules or env_bool("FANGKONG_TESTING")
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING:
        # Throwaway key for tests and debug runs only; never persisted, never committed.
        SECRET_KEY = secrets.token_urlsafe(50)
    else:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set in the environment (see .env.example).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "huey.contrib.djhuey",
    "ninja",
    "fangkong.core",
    "fangkong.audit",
    "fangkong.areas",
    "fangkong.accounts",
]
# Domain apps join here as they land (see docs/adding-a-domain-app.md).
INSTALLED_APPS += [
    app
    for app in (
        "fangkong.residents",
        "fangkong.testing",
        "fangkong.epi",
        "fangkong.isolation",
        "fangkong.risk_areas",
    )
    if (BASE_DIR / app.split(".")[1] / "apps.py").exists()
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "fangkong.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fangkong.core.middleware.RequestContextMiddleware",
    "fangkong.core.middleware.ServiceErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fangkong.urls"
WSGI_APPLICATION = "fangkong.wsgi.application"

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
                "fangkong.core.context_processors.shell",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'fangkong.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(env("CONN_MAX_AGE", "60")))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django binds parameters on the client (its cursors never prepare anything); the testing ingest's
    # own server-binding cursor (testing/services.py `_cursor`) has its fixed statements prepared after
    # 5 runs on a connection. None would disable that. (Behind PgBouncer in transaction mode, set 0.)
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = int(env("PG_PREPARE_THRESHOLD", "5") or 0) or None
    # No JIT: it pays off for long analytical queries, but a mis-estimated OLTP statement (a table that
    # has just grown by millions, statistics not yet refreshed) spent more time compiling than running.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run while one writer writes; IMMEDIATE avoids upgrade deadlocks.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
            " PRAGMA foreign_keys=ON; PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_SQLITE_NAME", "") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Fast hashing for the test run only; production uses Django's default PBKDF2.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Lockout (django-axes) ------------------------------------------------------------------
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# Lock the account, not the address: a whole street office often sits behind one NAT address.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING or DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_COMPRESS", True)
            else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = TESTING or DEBUG
# Fonts are compressed already (woff/woff2) or are fallbacks nobody modern downloads (ttf).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = ["jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz",
                                       "xz", "br", "swf", "flv", "woff", "woff2", "ttf", "ttc", "pdf"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG and not TESTING and not env_bool("FANGKONG_INSECURE_HTTP"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy: no inline script anywhere; styles may use attributes (ECharts, Tabler).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Number of proxies in front of the app whose X-Forwarded-For entries are trusted for the client IP.
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))

# --- Background jobs (huey) -----------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": env("HUEY_NAME", "fangkong"),
        "url": REDIS_URL,
        "immediate": TESTING,
        "consumer": {"workers": int(env("HUEY_WORKERS", "2")), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "fangkong",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": TESTING or env_bool("HUEY_IMMEDIATE"),
        "consumer": {"workers": int(env("HUEY_WORKERS", "2")), "worker_type": "thread"},
    }

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
    "loggers": {
        "fangkong": {"level": env("LOG_LEVEL", "INFO"), "propagate": True},
        # `fangkong run_huey` gives huey a handler of its own; do not print every line twice.
        "huey": {"level": "INFO", "propagate": False},
    },
}

# --- fangkong ------------------------------------------------------------------------------
FANGKONG_CITY_CODE = env("FANGKONG_CITY_CODE", "611000000000")
FANGKONG_DIVISIONS_CSV = Path(env("FANGKONG_DIVISIONS_CSV", str(BASE_DIR / "areas" / "data" / "shangluo_divisions.csv")))
FANGKONG_PAGE_SIZE = int(env("FANGKONG_PAGE_SIZE", "50"))
# Database triggers that refuse UPDATE/DELETE/TRUNCATE on the audit tables. Off only in the test
# run, because test isolation flushes every table; a test installs them and checks they bite.
FANGKONG_AUDIT_DB_TRIGGERS = env_bool("FANGKONG_AUDIT_DB_TRIGGERS", not TESTING)
