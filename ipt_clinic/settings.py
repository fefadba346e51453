"""IPT Clinic settings: one file, read from environment variables.

On one machine on purpose (IPT_SINGLE_HOST=true, as make run and make test set it) the app
runs with a SQLite file and a Celery broker on the filesystem, both under ``var/``; elsewhere,
with DEBUG off, it refuses to start without its secret key, database and broker.
``DATABASE_URL`` switches to PostgreSQL and ``CELERY_BROKER_URL`` to Redis. Every variable is
listed in ``.env.example``.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("IPT_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = env_str(name)
    if not raw:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    return [item.strip() for item in raw.split(",") if item.strip()] if raw else default


# --- Core -----------------------------------------------------------------------------------
DEBUG = env_bool("DJANGO_DEBUG", False)
# One machine on purpose (make run, make test, the benchmarks): the embedded defaults (a key
# file, SQLite and a broker on the filesystem under var/) are allowed. Anywhere else a
# per-host key or queue would silently break sign-ins, patients' links and reminders across
# hosts, so with DEBUG off the three must be set.
SINGLE_HOST = env_bool("IPT_SINGLE_HOST", False)
REQUIRED_IN_PRODUCTION = ["DJANGO_SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"]
_missing = [name for name in REQUIRED_IN_PRODUCTION if not env_str(name)]
if _missing and not (DEBUG or SINGLE_HOST):
    raise ImproperlyConfigured(
        f"{', '.join(_missing)} must be set: with DJANGO_DEBUG off the app runs as if on "
        "several hosts, which must share one secret key, one PostgreSQL and one Redis. "
        "On one machine on purpose, set IPT_SINGLE_HOST=true (make run does)."
    )


def local_secret_key() -> str:
    """The key make run and make test keep in var/secret_key (scripts/common.sh writes it:
    importing the settings writes no file), shared by the web server and the workers."""
    path = VAR_DIR / "secret_key"
    if not path.is_file():
        raise ImproperlyConfigured(
            f"No secret key: set DJANGO_SECRET_KEY, or write one to {path} "
            "(scripts/common.sh's local_secret does)."
        )
    return path.read_text().strip()


SECRET_KEY = env_str("DJANGO_SECRET_KEY") or local_secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
# Behind TLS (a proxy or the load balancer): secure cookies, HSTS, redirect to https.
HTTPS = env_bool("DJANGO_HTTPS", False)
# How many reverse proxies append to X-Forwarded-For; 0 = trust only REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "health_check",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ipt_clinic.accounts",
    "patients",
    "sessions.apps.TherapySessionsConfig",
    "risk",
    "inventory",
    "oversight",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Every audit event of the request carries its client address and request id.
    "ipt_clinic.accounts.audit.AuditContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ipt_clinic.middleware.ClinicTimeZoneMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "ipt_clinic.accounts.middleware.SignInSessionTimeoutMiddleware",
    "ipt_clinic.accounts.two_factor.TwoFactorGateMiddleware",
    "ipt_clinic.middleware.NoStoreMiddleware",
    "ipt_clinic.middleware.MethodNotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Axes last: it turns a lockout raised during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ipt_clinic.urls"
WSGI_APPLICATION = "ipt_clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
if env_str("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL"), conn_max_age=60, conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...)")
    # JIT compilation is switched off for the app's database role by a migration (accounts
    # 0012), not per connection: a pooler in transaction mode (PgBouncer) refuses startup
    # options. Behind one, IPT_DB_POOLED=true: no server-side cursors (a cursor must not
    # outlive the transaction whose server connection the pooler hands to someone else).
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("IPT_DB_POOLED", False)
    # A database that silently drops connections must not hold a web worker for minutes.
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options.setdefault("connect_timeout", 5)
    if not DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"]:
        # Connected directly: JIT off for this connection too, whatever role it uses (the
        # migration sets it for the role that ran it; a pooler refuses startup options).
        _pg_options["options"] = f"{_pg_options.get('options', '')} -c jit=off".strip()
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "ipt_clinic.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and authentication ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "ipt_clinic.accounts.auth.ClinicModelBackend",  # ModelBackend, the clinic loaded with the user
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour

# Two-factor sign-in (django-otp): wrong codes slow down exponentially (1 s, 2 s, 4 s ...).
OTP_TOTP_ISSUER = "IPT Clinic"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Sign-in sessions: idle and absolute limits (a clinic may shorten them in its settings).
SESSION_IDLE_TIMEOUT = timedelta(minutes=env_int("IPT_SESSION_IDLE_MINUTES", 15))
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=env_int("IPT_SESSION_ABSOLUTE_HOURS", 12))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-axes: every option set on purpose; its defaults would lock by IP alone.
AXES_ENABLED = env_bool("IPT_AXES_ENABLED", True)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCK_OUT_AT_FAILURE = True
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_FORM_FIELD = "username"
AXES_PASSWORD_FORM_FIELD = "password"  # noqa: S105 - a form field name, not a password
AXES_USERNAME_CALLABLE = "ipt_clinic.accounts.auth.normalised_login_email"
AXES_CLIENT_IP_CALLABLE = "ipt_clinic.accounts.net.client_ip"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_ONLY_ADMIN_SITE = False
AXES_ENABLE_ADMIN = True
AXES_NEVER_LOCKOUT_GET = True
AXES_NEVER_LOCKOUT_WHITELIST = False
AXES_ONLY_WHITELIST = False
AXES_IP_WHITELIST = None
AXES_IP_BLACKLIST = None
AXES_WHITELIST_CALLABLE = None
AXES_LOCKOUT_CALLABLE = None
AXES_LOCKOUT_URL = None
AXES_USE_ATTEMPT_EXPIRATION = False
AXES_DISABLE_ACCESS_LOG = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = True
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address"]

# --- Security headers -----------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("DJANGO_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if HTTPS and env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The health check is probed over plain http inside the container network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("IPT_PLAIN_STATIC", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ----------------------------------------------------------------------------------
# IPT_EMAIL_BACKEND: file (default: each message written under var/mail, so a newcomer can read
# them), console, or smtp (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD,
# EMAIL_USE_TLS).
EMAIL_KIND = env_str("IPT_EMAIL_BACKEND", "file")
_MAILER_CHOICES = {
    "file": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
    },
    "console": {"BACKEND": "django.core.mail.backends.console.EmailBackend"},
    "smtp": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env_str("EMAIL_HOST", "localhost"),
            "port": env_int("EMAIL_PORT", 25),
            "username": env_str("EMAIL_HOST_USER"),
            "password": env_str("EMAIL_HOST_PASSWORD"),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
            "timeout": 20,
        },
    },
}
if EMAIL_KIND not in _MAILER_CHOICES:
    raise ImproperlyConfigured(f"IPT_EMAIL_BACKEND must be one of {sorted(_MAILER_CHOICES)}")
MAILERS = {"default": _MAILER_CHOICES[EMAIL_KIND]}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "IPT Clinic <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------------------
# No broker configured: kombu's filesystem transport, which needs no server at all.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    # The folders are made by the Celery app when it loads (ipt_clinic/celery.py).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "celery" / "broker"),
        "data_folder_out": str(VAR_DIR / "celery" / "broker"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Messages each worker process reserves ahead (acknowledged only when done, acks_late). 4 sent
# 10 % more reminders a second than 1 (docs/benchmarks.md). Safe: a killed worker's reserved
# messages were not started; the sweep re-queues their rows, and a message the broker hands
# out again later finds its row sent and does nothing.
CELERY_WORKER_PREFETCH_MULTIPLIER = env_int("IPT_WORKER_PREFETCH", 4)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
# A late-acknowledged task whose broker connection drops is cancelled and redelivered, not
# left running unacknowledged (Celery 6's default; setting it also silences the warning).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Celery's Django fixup closes the database connection around every task unless told to reuse
# it; a new PostgreSQL connection per reminder cost more than the reminder. Connections are
# reused, and dropped like after a web request when broken or older than CONN_MAX_AGE
# (ipt_clinic/celery.py).
CELERY_DB_REUSE_MAX = 1000
# The worker keeps the logging configured below (JSON with IPT_LOG_FORMAT=json, the request id
# on every line) instead of replacing the root logger's handlers with its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Reminders ------------------------------------------------------------------------------
# The dispatcher claims due reminder rows this often (Celery beat; default every minute).
REMINDER_DISPATCH_SECONDS = env_int("IPT_REMINDER_DISPATCH_SECONDS", 60)
# A reminder claimed (or being sent) for longer than this without finishing is presumed lost
# (a killed worker, a broker that lost its queue) and queued again by the sweep.
REMINDER_SWEEP_SECONDS = env_int("IPT_REMINDER_SWEEP_SECONDS", 300)
# Attempts before a reminder is marked failed; waits between them double from 30 s up to 10 min.
REMINDER_MAX_ATTEMPTS = env_int("IPT_REMINDER_MAX_ATTEMPTS", 6)
# Text messages: a class with send_text(to, body) (see sessions/channels.py). The default only
# logs what it would send.
SMS_BACKEND = env_str("IPT_SMS_BACKEND", "sessions.channels.LoggingSmsBackend")
# The address patients reach the app at: the opt-out link in every reminder starts with it.
SITE_URL = env_str("IPT_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("IPT_SITE_URL must start with http:// or https://")
if REMINDER_SWEEP_SECONDS < 1 or REMINDER_DISPATCH_SECONDS < 1 or REMINDER_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("Reminder intervals and attempts must be positive.")

# --- Logging --------------------------------------------------------------------------------
# IPT_LOG_FORMAT: plain (default, for a person reading a terminal) or json (one object a line,
# for a log collector). Both carry the request id of the request or task they were written in.
LOG_FORMAT = env_str("IPT_LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("IPT_LOG_FORMAT must be plain or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "filters": {
        "refusals": {"()": "ipt_clinic.log_filters.RefusalsWithoutTraceback"},
        "request_id": {"()": "ipt_clinic.log_filters.RequestId"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["refusals", "request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("IPT_LOG_LEVEL", "INFO")},
    "loggers": {
        # Axes logs usernames of failed attempts; the audit trail already records them.
        "axes": {"level": "WARNING"},
    },
}
