"""The only settings file. Everything that differs between machines comes from the environment."""

from __future__ import annotations

import logging
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from dashboard import logs
from feed import rewalks

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def envbool(name: str, default: str) -> bool:
    value = env(name, default).lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be 1/true/yes/on or 0/false/no/off, got {value!r}")


def envint(name: str, default: str, *, minimum: int = 0) -> int:
    value = env(name, default)
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


RATE = re.compile(r"[1-9][0-9]*/([1-9][0-9]*)?[smhd]")


def envrate(name: str, default: str) -> str | None:
    """A request rate such as `300/m` (also /s, /h, /d, and `10/5m`); `off` for no limit."""
    value = env(name, default).lower()
    if value == "off":
        return None
    if not RATE.fullmatch(value):
        raise ImproperlyConfigured(
            f"{name} must be a rate like 300/m (per s, m, h or d; 10/5m) or off, got {value!r}"
        )
    return value


DEBUG = envbool("DEBUG", "0")

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random string "
            "(or DEBUG=1 for a development key)."
        )
    # A fresh key per process: fine for development, and nothing secret is ever written down.
    SECRET_KEY = secrets.token_urlsafe(50)
    logging.getLogger("dashboard").warning(
        "SECRET_KEY is not set: using a generated development key (DEBUG=1 only)."
    )

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

# -- HTTPS and security headers. Production values follow from DEBUG; env overrides each. ---------
# The platform's proxy (Heroku's router, nginx) ends TLS and says so in X-Forwarded-Proto. It must
# set that header itself, overwriting whatever a client sent (both do; see README "Deploy").
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "0" if DEBUG else "1")
# A load balancer's or systemd's plain-HTTP health probe must get its 200, not a 301.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "1")
# Preloading is a promise about the whole registrable domain, made on hstspreload.org and hard
# to take back; an app on a subdomain (app.herokuapp.com, feed.example.com) cannot make it.
# Off unless the owner of the apex domain opts in; then check --deploy's W021 is moot.
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "0")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
# Only the dashboard's own files; see dashboard/middleware.py.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' https://i.ytimg.com data:",
        "style-src 'self'",
        # The player dialog's frame: YouTube's privacy-enhanced embed (no cookies until the
        # video plays), that one origin and nothing broader (not youtube.com, not https:).
        "frame-src https://www.youtube-nocookie.com",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# No page uses any of these browser features; features a browser does not know would only log
# warnings, so the list holds widely implemented ones.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "django_htmx",
    "huey.contrib.djhuey",
    "axes",
    "feed",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that writes a body (WhiteNoise's files included); what it compresses,
    # and why that is safe from BREACH: dashboard/middleware.py.
    "dashboard.middleware.Compression",
    "dashboard.middleware.content_security_policy",
    "dashboard.middleware.permissions_policy",
    # Before anything that reads a session or the database: a refused request costs a counter.
    "dashboard.limits.rate_limits",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# -- Admin sign-in ------------------------------------------------------------------------------
# django-axes counts failed sign-ins in the database, so every web process sees the same count,
# and refuses a locked-out client before its password is hashed (hashing is the CPU an attacker
# would spend). Locked by address only: a lock on the user name would let anyone lock the admin
# out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", "5", minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", "60", minimum=1))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "dashboard.limits.client_ip"
# No banner at every start (commands print to stdout too); failures and lockouts are still logged.
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# -- Per-client request limits (dashboard/limits.py) ----------------------------------------------
# How many proxies in front append the client's address to X-Forwarded-For (a PaaS router: 1; a
# client connecting directly: 0). Too high lets a client choose its address, so its own limits.
TRUSTED_PROXY_HOPS = envint("TRUSTED_PROXY_HOPS", "0")
RATELIMIT_ENABLE = envbool("RATE_LIMITS", "1")
RATE_LIMITS = {
    "api": envrate("RATE_LIMIT_API", "300/m"),
    "grid": envrate("RATE_LIMIT_GRID", "300/m"),
    "status": envrate("RATE_LIMIT_STATUS", "60/m"),
}
RATELIMIT_USE_CACHE = "ratelimit"

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=600
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web process and a worker write the same file: WAL lets readers run during a write,
    # busy_timeout waits instead of failing, and IMMEDIATE takes the write lock at BEGIN so a
    # transaction never fails half way when it upgrades from reading to writing. A checkpoint
    # every 10,000 pages (40 MB of WAL) instead of 1,000: each one syncs the disk, and a commit
    # at 1M videos took 10.1 ms with the default, 5.5 to 5.8 ms so (bench/results/analysis.md).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
            " PRAGMA wal_autocheckpoint=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
# collectstatic writes here; WhiteNoise serves it, hashed names with a ten-year immutable cache.
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# The web server (gunicorn.conf.py, dashboard/web_worker.py): threads per worker process, each
# one request at a time and one database connection; and how long a client may take to send a
# request before its connection is closed. A slow client holds no thread while it sends.
WEB_THREADS = envint("WEB_THREADS", "4", minimum=1)
WEB_REQUEST_TIMEOUT = envint("WEB_REQUEST_TIMEOUT", "10", minimum=1)

# The API and the dashboard.
API_MAX_LIMIT = 100
API_DEFAULT_LIMIT = 20
SEARCH_MAX_LENGTH = 200  # characters of `q`; longer is a 400, not a slow query
# Distinct words of `q` (feed.search.words: folded, none the start of another); more is a 400.
SEARCH_MAX_WORDS = envint("SEARCH_MAX_WORDS", "8", minimum=1)

# Fetching from YouTube (see feed/services.py). Keys are secrets: they live only here, in memory.
YOUTUBE_API_KEYS = envlist("YOUTUBE_API_KEYS")
YOUTUBE_QUERIES = envlist("YOUTUBE_QUERIES", "football")
# Demo mode: no keys configured, so the built-in simulator stands in for YouTube.
DEMO_MODE = not YOUTUBE_API_KEYS
SIMULATOR_PORT = envint("SIMULATOR_PORT", "8765")
YOUTUBE_API_ENDPOINT = env(
    "YOUTUBE_API_ENDPOINT",
    f"http://127.0.0.1:{SIMULATOR_PORT}" if DEMO_MODE else "https://youtube.googleapis.com",
)
# The status page shows the last error of each poll, which can name endpoints and OS errors:
# public in demo mode (nothing there is anyone's), staff only (an admin login) otherwise.
STATUS_PUBLIC = envbool("STATUS_PUBLIC", "1" if DEMO_MODE else "0")
# Its figures are computed at most once per this many seconds (dashboard/status.py); 0: per view.
STATUS_CACHE_SECONDS = envint("STATUS_CACHE_SECONDS", "5")
FETCH_INTERVAL_SECONDS = envint("FETCH_INTERVAL_SECONDS", "10", minimum=1)
FETCH_MAX_PAGES = envint("FETCH_MAX_PAGES", "5", minimum=1)  # search pages (of 50) per poll at most
FETCH_OVERLAP_SECONDS = envint("FETCH_OVERLAP_SECONDS", "600")
FETCH_INITIAL_LOOKBACK_HOURS = envint("FETCH_INITIAL_LOOKBACK_HOURS", "24")
# Re-walks of the recent past, reach:every (feed/rewalks.py): YouTube's search shows many videos
# minutes to hours late. The default catches videos up to about 8 h late.
FETCH_REWALKS = env("FETCH_REWALKS", "1h:20m,4h:1h,12h:3h")
try:
    rewalks.parse(FETCH_REWALKS)
except ValueError as e:
    raise ImproperlyConfigured(f"FETCH_REWALKS: {e}") from None
# The share of each key's daily units kept for re-checking stored videos (feed/checks.py):
# removals, fresh view counts, details a poll could not fetch. Polls never spend it.
YOUTUBE_CHECK_PERCENT = envint("YOUTUBE_CHECK_PERCENT", "10")
if YOUTUBE_CHECK_PERCENT > 90:
    raise ImproperlyConfigured(
        "YOUTUBE_CHECK_PERCENT must be at most 90 (polls need the rest), "
        f"got {YOUTUBE_CHECK_PERCENT}"
    )
# Quota units (YouTube's published costs) and the daily budget of each key.
YOUTUBE_SEARCH_COST = envint("YOUTUBE_SEARCH_COST", "100", minimum=1)
YOUTUBE_VIDEOS_COST = envint("YOUTUBE_VIDEOS_COST", "1", minimum=1)
YOUTUBE_DAILY_QUOTA = envint(
    "YOUTUBE_DAILY_QUOTA", "100000000" if DEMO_MODE else "10000", minimum=1
)
YOUTUBE_NUM_RETRIES = envint("YOUTUBE_NUM_RETRIES", "3")

# Webhooks (feed/webhooks.py). Each subscription's signing secret is derived from its stored salt
# and this key, never stored: changing the key changes every subscription's secret (rotate them
# all and hand out the new ones). Default: SECRET_KEY. Without one (DEBUG=1 only) each process
# makes up its own SECRET_KEY, yet the web process that shows a secret and the worker that signs
# must agree: they share a random key made once in WEBHOOK_DEV_KEY_FILE (feed.webhooks).
WEBHOOK_SECRET_KEY = env("WEBHOOK_SECRET_KEY") or env("SECRET_KEY")
WEBHOOK_DEV_KEY_FILE = BASE_DIR / "var" / "webhook-dev-key"
# Deliveries to loopback, private, link-local and other non-global addresses: refused unless
# allowed (allowed by default with DEBUG or in demo mode, where the receivers are local).
WEBHOOK_ALLOW_PRIVATE = envbool("WEBHOOK_ALLOW_PRIVATE", "1" if DEBUG or DEMO_MODE else "0")
# A subscription whose deliveries have failed for this long without a success is disabled.
WEBHOOK_DISABLE_AFTER_SECONDS = envint(
    "WEBHOOK_DISABLE_AFTER_SECONDS", str(3 * 24 * 3600), minimum=60
)
# Seconds to wait for a receiver's connection, and then for each read of its answer.
WEBHOOK_CONNECT_TIMEOUT = envint("WEBHOOK_CONNECT_TIMEOUT", "5", minimum=1)
WEBHOOK_READ_TIMEOUT = envint("WEBHOOK_READ_TIMEOUT", "10", minimum=1)
# One round of deliveries at a time across every worker: a round renews its lease after each
# POST; one killed mid-round holds the deliveries for this long at most.
WEBHOOK_LEASE_SECONDS = envint("WEBHOOK_LEASE_SECONDS", "120", minimum=1)

REDIS_URL = env("REDIS_URL")
# Heroku Redis serves TLS (rediss://) with a self-signed certificate, which no client can verify:
# app.json sets REDIS_SSL_CERT_REQS=none there. Everywhere else certificates are verified.
REDIS_SSL_CERT_REQS = env("REDIS_SSL_CERT_REQS", "required").lower()
if REDIS_SSL_CERT_REQS not in ("required", "optional", "none"):
    raise ImproperlyConfigured(
        f"REDIS_SSL_CERT_REQS must be required, optional or none, got {REDIS_SSL_CERT_REQS!r}"
    )
if REDIS_URL.startswith("rediss://") and "ssl_cert_reqs=" not in REDIS_URL:
    REDIS_URL += ("&" if "?" in REDIS_URL else "?") + f"ssl_cert_reqs={REDIS_SSL_CERT_REQS}"
# The rate limits' counters. With Redis every process shares them and counting is atomic.
# Without it (one machine, SQLite) each web process counts on its own: a client gets the limit
# from each process, WEB_CONCURRENCY times it in all. A file or database cache would be shared
# but counts with a read and a write that concurrent requests interleave, and on SQLite each
# request would take the write lock the worker needs.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # The status page's figures: computed once every few seconds by one of all the processes
    # with Redis, by each process without it.
    "status": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "status",
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "status"}
    ),
    "ratelimit": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ratelimit",
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "ratelimit",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    ),
}
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "feed",
        "url": REDIS_URL,
        "immediate": False,
    }
else:
    # Its own file, never Django's database file: the queue's writes must not contend with ours.
    # Opened at its first use, not while Django sets up (feed/queue.py): the web process boots
    # and serves with that file on a full disk.
    HUEY = {
        "huey_class": "feed.queue.SqliteHuey",
        "name": "feed",
        "filename": env("HUEY_SQLITE_PATH", str(BASE_DIR / "huey.sqlite3")),
        "immediate": False,
    }

# One line per event (a traceback too: its newlines escaped), on stdout, where the platform
# collects it. gunicorn.conf.py sends gunicorn's own logs the same way.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": logs.FORMATTERS,
    "handlers": logs.HANDLERS,
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # run_huey adds a stderr handler of its own to huey's logger unless it has one already.
    "loggers": {"huey": {"handlers": ["console"], "propagate": False}},
}
