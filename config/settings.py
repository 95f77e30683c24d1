"""Settings for the Spotify MCP gateway, read from the environment in this one place.

Every knob is documented in the README's configuration table. Local defaults run the whole
gateway on one machine (SQLite, a filesystem Celery broker, the Spotify emulator); production
must set what is secret (SECRET_KEY, TOKEN_ENCRYPTION_KEYS) and fails loudly without it.
"""

import hashlib
import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import dotenv_values

BASE_DIR = Path(__file__).resolve().parent.parent

# A file of KEY=value lines (`./dev` points this at var/local.env, where it keeps the secrets it
# generated for this machine). Parsed by python-dotenv, never by a shell: values stay byte for byte
# (a Fernet key ends with "="). A variable already set, and not empty, in the environment wins.
ENV_FILE = os.environ.get("ENV_FILE") or None
if ENV_FILE:
    for _name, _value in dotenv_values(ENV_FILE).items():
        if _value is not None and not os.environ.get(_name):
            os.environ[_name] = _value


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value is None else int(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
VAR_DIR = Path(env("VAR_DIR", str(BASE_DIR / "var")))

# Missing secrets are reported by the system checks (mcpgateway.core.checks) with the variable's name,
# so `migrate`, `run_gateway` and `check` stop with a message instead of a traceback, and /healthz
# is red. A web process started anyway signs with a throwaway key: nothing it issues outlives it,
# and no personal access token verifies (their pepper derives from it).
SECRET_KEY_MISSING = not env("SECRET_KEY") and not DEBUG
SECRET_KEY = env("SECRET_KEY") or ("insecure-debug-only-secret-key-do-not-use-in-production" if DEBUG else secrets.token_urlsafe(50))

# The address people and MCP clients use to reach the gateway; it names the Spotify redirect URI,
# the OAuth issuer and every URL the gateway hands out, so it must be exactly what the outside
# world sees.
PUBLIC_BASE_URL = (env("PUBLIC_BASE_URL", "http://127.0.0.1:8000") or "").rstrip("/")
_public_host = urlsplit(PUBLIC_BASE_URL).hostname or "127.0.0.1"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or sorted({_public_host, "127.0.0.1", "localhost", "[::1]"})
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS") or [PUBLIC_BASE_URL]
# Browsers that reach a page through another allowed host are sent to PUBLIC_BASE_URL's host first.
# Turn off only behind a proxy that cannot pass the Host header through.
CANONICAL_HOST_REDIRECT = env_bool("CANONICAL_HOST_REDIRECT", True)

INSTALLED_APPS = [
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Third party
    "channels",
    "oauth2_provider",
    "axes",
    # /api/docs serves its Swagger UI files from our static files, not from a CDN.
    "ninja",
    # Ours
    "accounts",
    "mcpgateway",
]

MIDDLEWARE = [
    # First: counts every answer by route and status, the other middleware's own ones too (/metrics).
    "mcpgateway.core.request_metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "mcpgateway.core.public_urls.CanonicalHostMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A person whose password an admin chose changes it before any other page (User.must_change_password).
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a sign-in refused for a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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
                "mcpgateway.core.public_urls.public_urls",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'gateway.sqlite3'}")
# CONN_HEALTH_CHECKS: a kept connection (DB_CONN_MAX_AGE > 0) is checked before a request reuses it,
# so the first request after a database restart gets a new connection instead of a 503.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0), conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Web workers, Celery and the beat share one file: WAL lets readers run beside a writer,
        # IMMEDIATE takes the write lock up front so two writers queue instead of deadlocking.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Redis: cache, Celery broker, channel layer -----------------------------------------------
REDIS_URL = env("REDIS_URL")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
else:
    # A file cache is shared by the web server and the Celery processes of one machine.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL == "filesystem://":
    # Kombu's filesystem transport: every process of this machine shares one queue folder
    # (config/celery.py creates the folders when Celery is configured).
    _celery_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "mcpgateway.core.heartbeats:HeartbeatScheduler"
# The worker and beat write a heartbeat this often; /healthz is red when one is older than the max.
HEARTBEAT_INTERVAL_SECONDS = env_int("HEARTBEAT_INTERVAL_SECONDS", 10)
HEARTBEAT_MAX_AGE_SECONDS = env_int("HEARTBEAT_MAX_AGE_SECONDS", 45)
SPOTIFY_REFRESH_INTERVAL_SECONDS = env_int("SPOTIFY_REFRESH_INTERVAL_SECONDS", 60)
# Beat's whole schedule, here and nowhere else. It stays in code (Celery's file scheduler, not
# django-celery-beat's database one): the intervals are settings an operator sets in the
# environment, and a schedule edited in the admin could silently stop token refreshes.
CELERY_BEAT_SCHEDULE = {
    "refresh-expiring-spotify-grants": {
        "task": "mcpgateway.spotify.tasks.refresh_expiring_grants",
        "schedule": float(SPOTIFY_REFRESH_INTERVAL_SECONDS),
        # A run that waited longer than one interval is stale: the next one covers it.
        "options": {"expires": float(SPOTIFY_REFRESH_INTERVAL_SECONDS)},
    },
    "expire-unused-oauth-clients": {
        "task": "mcpgateway.oauth.tasks.expire_unused_oauth_clients",
        "schedule": 3600.0,
    },
    "purge-closed-mcp-sessions": {
        "task": "mcpgateway.mcp.tasks.purge_closed_mcp_sessions",
        "schedule": 24 * 3600.0,
    },
    "purge-old-audit-events": {
        "task": "mcpgateway.audit.tasks.purge_old_audit_events",
        "schedule": 24 * 3600.0,
    },
}

# --- Spotify ----------------------------------------------------------------------------------
SPOTIFY_CLIENT_ID = env("SPOTIFY_CLIENT_ID")
SPOTIFY_CLIENT_SECRET = env("SPOTIFY_CLIENT_SECRET")  # optional: PKCE works without it
# Without Spotify credentials the gateway talks to the built-in emulator (never otherwise).
SPOTIFY_USE_EMULATOR = not SPOTIFY_CLIENT_ID
SPOTIFY_EMULATOR_URL = (env("SPOTIFY_EMULATOR_URL", "http://127.0.0.1:8001") or "").rstrip("/")
if SPOTIFY_USE_EMULATOR:
    SPOTIFY_CLIENT_ID = "spotify-mcp-gateway-local"
    _accounts_default, _api_default = f"{SPOTIFY_EMULATOR_URL}/accounts", f"{SPOTIFY_EMULATOR_URL}/v1"
else:
    _accounts_default, _api_default = "https://accounts.spotify.com", "https://api.spotify.com/v1"
SPOTIFY_ACCOUNTS_URL = (env("SPOTIFY_ACCOUNTS_URL", _accounts_default) or "").rstrip("/")
SPOTIFY_API_URL = (env("SPOTIFY_API_URL", _api_default) or "").rstrip("/")
SPOTIFY_REDIRECT_URI = env("SPOTIFY_REDIRECT_URI", f"{PUBLIC_BASE_URL}/spotify/callback")
SPOTIFY_HTTP_TIMEOUT_SECONDS = float(env("SPOTIFY_HTTP_TIMEOUT_SECONDS", "10"))
# Refresh when a token has less than this left; the beat looks this far ahead too.
SPOTIFY_REFRESH_MARGIN_SECONDS = env_int("SPOTIFY_REFRESH_MARGIN_SECONDS", 300)
# The on-demand path (before a Spotify request) refreshes only when the token is nearly gone;
# normally the beat, which looks further ahead, has refreshed it already.
SPOTIFY_ON_DEMAND_REFRESH_MARGIN_SECONDS = env_int("SPOTIFY_ON_DEMAND_REFRESH_MARGIN_SECONDS", 60)
SPOTIFY_REFRESH_CONCURRENCY = env_int("SPOTIFY_REFRESH_CONCURRENCY", 32)
SPOTIFY_REFRESH_MAX_ATTEMPTS = env_int("SPOTIFY_REFRESH_MAX_ATTEMPTS", 3)
# Longest Retry-After we wait out inline; longer ones postpone the grant to a later beat run.
SPOTIFY_MAX_RETRY_AFTER_SECONDS = env_int("SPOTIFY_MAX_RETRY_AFTER_SECONDS", 10)
SPOTIFY_CONNECT_STATE_TTL_SECONDS = env_int("SPOTIFY_CONNECT_STATE_TTL_SECONDS", 600)
# Spotify lets an app in Development Mode be used by 5 people, each added by hand in its developer
# dashboard; a sixth only meets Spotify's error. The gateway refuses new connections beyond this
# many instead, saying whom to ask. Raise it once Spotify grants extended quota; 0: no limit.
SPOTIFY_APP_USER_LIMIT = env_int("SPOTIFY_APP_USER_LIMIT", 5)
# Spotify ends a connection six months after consent: this many days before, the person is warned
# (dashboard banner, one email) so they reconnect before their assistants stop; 0: no warning.
SPOTIFY_GRANT_EXPIRY_WARNING_DAYS = env_int("SPOTIFY_GRANT_EXPIRY_WARNING_DAYS", 7)

# Fernet keys (urlsafe base64, 32 bytes), comma separated, newest first. Tokens are written with
# the first and read with any, so a key is rotated by prepending a new one and running
# `manage.py rotate_token_encryption`.
TOKEN_ENCRYPTION_KEYS = env_list("TOKEN_ENCRYPTION_KEYS")
if not TOKEN_ENCRYPTION_KEYS and DEBUG:
    TOKEN_ENCRYPTION_KEYS = ["ZGVidWctb25seS10b2tlbi1rZXktbm90LXNlY3JldCE="]

# Pepper for the keyed hashes of personal access tokens (and other bearer credentials). Derived
# from SECRET_KEY when unset; set it explicitly so SECRET_KEY can rotate without killing tokens.
TOKEN_HASH_PEPPER = env("TOKEN_HASH_PEPPER") or hashlib.sha256(f"token-hash-pepper:{SECRET_KEY}".encode()).hexdigest()

# --- Web --------------------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
SERVE_STATIC = env_bool("SERVE_STATIC", True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PUBLIC_BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"

# --- Processes (manage.py run_gateway: its options default to these) ----------------------------
GATEWAY_HOST = env("HOST", "127.0.0.1")
GATEWAY_PORT = env_int("PORT", 8000)
WEB_WORKERS = env_int("WEB_WORKERS", 1)
CELERY_CONCURRENCY = env_int("CELERY_CONCURRENCY", 2)

# How many hosts (machines) serve this deployment: more than one needs PostgreSQL and Redis shared
# by all (system check gateway.E005/E006; the gateway cannot see the other hosts itself).
DEPLOYMENT_HOSTS = env_int("DEPLOYMENT_HOSTS", 1)

# --- Client addresses and proxies -------------------------------------------------------------
# Proxies whose forwarded headers are believed (addresses or CIDRs, comma separated). Default: none,
# so a client cannot choose the address that the DCR rate limit and the sign-in lockout count.
# run_gateway hands the same list to uvicorn (--forwarded-allow-ips, or --no-proxy-headers when
# empty), which turns X-Forwarded-For into REMOTE_ADDR; mcpgateway.core.client_address reads it.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
if TRUSTED_PROXIES:
    # The scheme and host the proxy saw: the only way in must then be through that proxy, and it
    # must overwrite (not pass through) these headers.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# --- Sign-in lockout (django-axes) -------------------------------------------------------------
# The dashboard's and the admin's sign-in pages: after SIGN_IN_FAILURE_LIMIT failed sign-ins for
# one username, or from one client address (mcpgateway.core.client_address), signing in there is
# refused for SIGN_IN_LOCKOUT_SECONDS after the last attempt (attempts during the lock extend it);
# the page says so (accounts.views.sign_in_locked_out). Admins lift a lock in the admin (Axes).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("SIGN_IN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("SIGN_IN_LOCKOUT_SECONDS", 15 * 60))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own: per account and per address
AXES_CLIENT_IP_CALLABLE = "mcpgateway.core.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.views.sign_in_locked_out"
# Off by default: axes forgets, on a success, every failure from that address too, so someone with an
# account of their own could sign in between guesses at another's and never be locked. Off, failures
# simply age out after SIGN_IN_LOCKOUT_SECONDS.
AXES_RESET_ON_SUCCESS = env_bool("SIGN_IN_RESET_ON_SUCCESS", False)
# Axes keeps each failed attempt's form and query data for the admin; it masks the values of these
# fields (always the password): the CSRF token, and ?next=, which can hold an OAuth or Spotify code.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken", "next"]
# Successful sign-ins are not recorded (nothing would ever prune that table); failures are, until they age out.
AXES_DISABLE_ACCESS_LOG = True

# --- Single sign-on (optional; mozilla-django-oidc, accounts/sso.py) ----------------------------
# Signing in through the team's OpenID Connect provider, beside passwords. Off unless OIDC_CLIENT_ID
# and the provider (OIDC_ISSUER, or all four endpoints) are set. The gateway is registered at the
# provider with the redirect URI <PUBLIC_BASE_URL>/oidc/callback/ (README, "Single sign-on").
# The provider's issuer URL; its endpoints are read from <issuer>/.well-known/openid-configuration
# on the first sign-in (not at startup: a provider that is down never stops the gateway), then cached.
OIDC_ISSUER = (env("OIDC_ISSUER") or "").rstrip("/")
# Each one, when set, replaces the discovered endpoint (for providers without discovery).
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env("OIDC_USERINFO_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_JWKS_ENDPOINT")
# The gateway's client at the provider (a confidential client: the secret stays on the server).
OIDC_RP_CLIENT_ID = env("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env("OIDC_CLIENT_SECRET")
# A person with no account yet gets one on their first sign-in only when their verified email's
# domain is listed here (comma separated, e.g. "example.com"); others need an account (matched by
# verified email) made by an admin. Empty: nobody new.
OIDC_ALLOWED_EMAIL_DOMAINS = [domain.lower().lstrip("@") for domain in env_list("OIDC_ALLOWED_EMAIL_DOMAINS")]
# The sign-in page's button reads "Sign in with <label>".
OIDC_BUTTON_LABEL = env("OIDC_BUTTON_LABEL", "single sign-on")
SSO_ENABLED = bool(OIDC_RP_CLIENT_ID) and bool(
    OIDC_ISSUER or (OIDC_OP_AUTHORIZATION_ENDPOINT and OIDC_OP_TOKEN_ENDPOINT and OIDC_OP_USER_ENDPOINT and OIDC_OP_JWKS_ENDPOINT)
)
# Fixed choices (docs in accounts/sso.py): ID tokens signed with the provider's RSA key, checked
# against its JWKS; PKCE and a nonce on every sign-in; a provider that does not answer within
# OIDC_TIMEOUT seconds is reported on the sign-in page.
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
if SSO_ENABLED:
    # After axes (which refuses a locked-out client address first) and the password backend.
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "accounts.sso.SsoBackend"]
# A single sign-on refused for a lockout is recorded by axes with its query: the provider's code
# (still unused then) and state are masked like the other sensitive parameters.
AXES_SENSITIVE_PARAMETERS = [*AXES_SENSITIVE_PARAMETERS, "code", "state"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- People: sign-up and email (accounts) -------------------------------------------------------
# Anyone who reaches the gateway may create a (member) account at /accounts/signup. Off by default:
# people join by an admin's invitation link (README, "Onboarding the team").
OPEN_SIGNUP = env_bool("OPEN_SIGNUP", False)
# Requests per hour (mcpgateway.core.rate_limits, per client address): password reset requests (and
# reset mails to any one email address, whatever the sender), and open sign-ups.
PASSWORD_RESET_LIMIT_PER_HOUR = env_int("PASSWORD_RESET_LIMIT_PER_HOUR", 5)
SIGN_UP_LIMIT_PER_HOUR = env_int("SIGN_UP_LIMIT_PER_HOUR", 10)
# Password reset mails. EMAIL_URL (smtp://user:password@host:587/?tls=True, parsed by dj-email-url)
# or the separate EMAIL_HOST/PORT/HOST_USER/HOST_PASSWORD/USE_TLS; neither set: mails are printed
# to the console (the web process's output), which suits one machine. Django 6.1's MAILERS form.
if env("EMAIL_URL"):
    _email = dj_email_url.parse(env("EMAIL_URL"))
    _email_backend = _email["EMAIL_BACKEND"]
    _email_options = {
        "host": _email["EMAIL_HOST"], "port": _email["EMAIL_PORT"], "username": _email["EMAIL_HOST_USER"],
        "password": _email["EMAIL_HOST_PASSWORD"], "use_tls": _email["EMAIL_USE_TLS"], "use_ssl": _email["EMAIL_USE_SSL"],
    }
elif env("EMAIL_HOST"):
    _email_backend = "django.core.mail.backends.smtp.EmailBackend"
    _email_options = {
        "host": env("EMAIL_HOST"), "port": env_int("EMAIL_PORT", 587), "username": env("EMAIL_HOST_USER", ""),
        "password": env("EMAIL_HOST_PASSWORD", ""), "use_tls": env_bool("EMAIL_USE_TLS", True),
    }
else:
    _email_backend, _email_options = "django.core.mail.backends.console.EmailBackend", {}
if _email_backend == "django.core.mail.backends.smtp.EmailBackend":
    # A stuck mail server must not hold a web worker for long.
    _email_options["timeout"] = env_int("EMAIL_TIMEOUT_SECONDS", 10)
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", f"Spotify MCP gateway <noreply@{_public_host}>")
# A reset link works for this long (Django's default is three days).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_SECONDS", 24 * 3600)

LOG_LEVEL = env("LOG_LEVEL", "INFO")
# One format for every process role (web, worker, beat; uvicorn's access log too): "json" (one JSON
# object a line, for a log collector) or "plain" (readable in a terminal). JSON by default: it is
# what a deployment wants and what a missing setting must not break; DEBUG (the one-machine
# development run) reads plain. Every line carries the request id (mcpgateway.core.request_ids).
LOG_FORMAT = env("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}")
LOGGING_CONFIG = "mcpgateway.core.log_format.configure_logging"  # + Python warnings as log lines
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {"()": "mcpgateway.core.log_format.GatewayJsonFormatter"},
    },
    "filters": {
        # Invitation and password reset links carry their token in the path (mcpgateway.core.access_log).
        "request_without_secrets": {"()": "mcpgateway.core.access_log.RequestLogWithoutSecrets"},
        "request_id": {"()": "mcpgateway.core.request_ids.RequestIdLogFilter"},
    },
    # The secrets filter on the handler, not one logger: django.request is not the only one that logs
    # a request's path (django.security.csrf: "Forbidden (...): <path>", found by
    # tests/journey/test_no_secret_in_logs.py with a password reset link).
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id", "request_without_secrets"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "mcpgateway": {"level": LOG_LEVEL},
        "accounts": {"level": LOG_LEVEL},
        "celery": {"level": "INFO"},
        # httpx logs full URLs at INFO; they can carry authorization codes.
        "httpx": {"level": "WARNING"},
        # Not "uvicorn.access": naming it here would replace uvicorn's handlers when Django applies
        # this (at app import, after uvicorn set its logging up) and switch the access log back on
        # under --no-access-log. uvicorn gets its own copy with its loggers (process_roles.uvicorn_log_config),
        # and config/asgi.py adds the query-string filter to its access logger.
    },
}

# --- Metrics (mcpgateway.core.metrics, /metrics) -----------------------------------------------------
# /metrics is off unless one of these is set; with both, a scrape needs both. METRICS_TOKEN: the
# bearer token Prometheus sends (authorization.credentials in its scrape config). METRICS_ALLOWED_NETWORKS:
# addresses or CIDRs (comma separated) a scrape may come from, the client address as uvicorn saw it
# (behind TRUSTED_PROXIES, the forwarded one).
METRICS_TOKEN = env("METRICS_TOKEN", "") or ""
try:
    METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network(item, strict=False) for item in env_list("METRICS_ALLOWED_NETWORKS")]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {exc}") from exc
# Each process role keeps its metrics in files under here (one folder per role and host), which
# /metrics adds up: the web workers', the Celery worker's and beat's.
METRICS_DIR = VAR_DIR / "metrics"

# --- Request bodies (mcpgateway.core.request_body) ---------------------------------------------------
# Largest request body of the site (OAuth endpoints, forms); /mcp has its own limit below. A body
# declared larger is refused (413) before it is read, a chunked one as soon as it crosses the limit.
REQUEST_MAX_BODY_BYTES = env_int("REQUEST_MAX_BODY_BYTES", 1024 * 1024)
# A request whose body has not fully arrived this long after it started is answered 408 and closed.
REQUEST_BODY_TIMEOUT_SECONDS = float(env("REQUEST_BODY_TIMEOUT_SECONDS", "15"))

# --- MCP endpoint (/mcp) -----------------------------------------------------------------------
# Largest request body /mcp accepts; larger ones get 413 with a JSON-RPC error.
MCP_MAX_REQUEST_BODY_BYTES = env_int("MCP_MAX_REQUEST_BODY_BYTES", 4 * 1024 * 1024)
# Answer requests with one JSON body instead of an SSE stream (no progress notifications).
MCP_JSON_RESPONSE = env_bool("MCP_JSON_RESPONSE", False)
# A 2025-11-25 session ends this long after it started (0: never); the client then initializes anew.
MCP_SESSION_MAX_AGE_SECONDS = env_int("MCP_SESSION_MAX_AGE_SECONDS", 30 * 24 * 3600)
# "Last seen" of a session or client is written at most this often.
MCP_SESSION_TOUCH_SECONDS = env_int("MCP_SESSION_TOUCH_SECONDS", 60)
# Live 2025-11-25 sessions and 2026-07-28 connections one credential may hold; a new one beyond it
# ends the least recently seen (the credential keeps working: ending is not revoking).
MCP_MAX_LIVE_SESSIONS_PER_CREDENTIAL = env_int("MCP_MAX_LIVE_SESSIONS_PER_CREDENTIAL", 50)
# Sessions and connections each web worker keeps in memory (about 200 bytes each: 10,000 are about
# 2 MB), the least recently used dropped first; a request for a dropped one reads its row again (one
# query by primary key), as on a worker that never saw it. 0: none kept, every request reads its row.
MCP_SESSION_CACHE_SIZE = max(env_int("MCP_SESSION_CACHE_SIZE", 10_000), 0)
# Session rows ended, revoked or expired longer ago than this are deleted (daily beat task).
MCP_SESSION_RETENTION_DAYS = env_int("MCP_SESSION_RETENTION_DAYS", 30)

# --- Audit trail (mcpgateway.audit) -------------------------------------------------------------
# Audit rows older than this are deleted (daily beat task): the trail answers recent questions
# without growing for ever.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 180)
# Record every /mcp tool call (on by default; off only to measure what auditing costs).
AUDIT_TOOL_CALLS = env_bool("AUDIT_TOOL_CALLS", True)
# Tool-call rows are buffered in each web process and written in batches by a thread, never in the
# call's path: at most this often, sooner when a batch is full; a full buffer drops its oldest rows.
AUDIT_FLUSH_INTERVAL_SECONDS = float(env("AUDIT_FLUSH_INTERVAL_SECONDS", "1"))
AUDIT_BATCH_SIZE = env_int("AUDIT_BATCH_SIZE", 500)
AUDIT_BUFFER_SIZE = env_int("AUDIT_BUFFER_SIZE", 20_000)

# --- OAuth (django-oauth-toolkit) -------------------------------------------------------------
# The gateway is its own authorization server for /mcp (MCP authorization spec). Every choice
# below is explained in docs/oauth.md; our own knobs are in the README's configuration table.
# The issuer and the resource: one string each, byte-identical everywhere (no trailing slash).
OAUTH_ISSUER = PUBLIC_BASE_URL
OAUTH_RESOURCE = f"{PUBLIC_BASE_URL}/mcp"
# Our refresh grace window (DOT's own grace period answers 500 with hashed tokens; see docs).
OAUTH_REFRESH_GRACE_SECONDS = env_int("OAUTH_REFRESH_GRACE_SECONDS", 30)
# Dynamic Client Registration: registrations per client IP per hour, and how long a registered
# client that never obtained a token is kept.
OAUTH_DCR_RATE_LIMIT_PER_HOUR = env_int("OAUTH_DCR_RATE_LIMIT_PER_HOUR", 20)
OAUTH_DCR_UNUSED_CLIENT_HOURS = env_int("OAUTH_DCR_UNUSED_CLIENT_HOURS", 24)
# The CIMD document fetcher: DOT's SSRF-hardened one (https only, public addresses only, size and
# time limits). The test settings swap in one that reaches their local document server.
OAUTH_CIMD_METADATA_FETCHER = "oauth2_provider.cimd.SafeMetadataFetcher"
# DOT's models are swappable; migrations that point at them need the setting to exist.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "OAUTH2_SERVER_CLASS": "mcpgateway.oauth.server.GatewayOAuth2Server",
    "OAUTH2_VALIDATOR_CLASS": "mcpgateway.oauth.validators.GatewayOAuth2Validator",
    # The gateway scopes (mcpgateway.core.scopes), all of them by default, through a scopes backend.
    "SCOPES_BACKEND_CLASS": "mcpgateway.oauth.scopes.GatewayScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("OAUTH_ACCESS_TOKEN_EXPIRE_SECONDS", 3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("OAUTH_REFRESH_TOKEN_EXPIRE_SECONDS", 30 * 24 * 3600),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "PKCE_REQUIRED": True,
    # Consent is remembered by the gateway itself (mcpgateway.oauth), not by DOT's "auto" prompt.
    "REQUEST_APPROVAL_PROMPT": "force",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],  # http only for loopback: the validator
    "ALLOW_LOCALHOST_LOOPBACK": True,  # RFC 8252 §7.3: http://localhost on any port
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": False,  # http stays for loopback (warning only)
    "OIDC_ISS_ENDPOINT": OAUTH_ISSUER,
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": ["none", "client_secret_basic", "client_secret_post"],
    "DCR_ENABLED": True,
    "DCR_REGISTRATION_PERMISSION_CLASSES": ("oauth2_provider.dcr.AllowAllDCRPermission",),
    "CIMD_ENABLED": True,
    # The gateway's metadata policy (only the grants it advertises) around the document fetcher below.
    "CIMD_METADATA_FETCHER": "mcpgateway.oauth.client_metadata.GatewayMetadataFetcher",
    "CIMD_FETCH_TIMEOUT_SECONDS": env_int("OAUTH_CIMD_FETCH_TIMEOUT_SECONDS", 5),
    "CIMD_MAX_DOCUMENT_SIZE": 16 * 1024,
    "OAUTH2_PROTECTED_RESOURCE_IDENTIFIER": OAUTH_RESOURCE,
    "OAUTH2_PROTECTED_RESOURCE_AUTHORIZATION_SERVERS": [OAUTH_ISSUER],
    "OAUTH2_PROTECTED_RESOURCE_NAME": "Spotify MCP gateway",
    "OAUTH2_PROTECTED_RESOURCE_DOCUMENTATION": f"{PUBLIC_BASE_URL}/",
}
