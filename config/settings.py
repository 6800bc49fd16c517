"""Shipshape settings: every value from the environment (docs/configuration.md)."""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import (
    ConfigurationError,
    env_bool,
    env_duration,
    env_int,
    env_list,
    env_secret,
    env_site_url,
    env_str,
    names_read,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

try:
    # Core
    DEBUG = env_bool("DEBUG", True)
    SECRET_KEY = env_secret("SECRET_KEY")
    ALLOWED_HOSTS = env_list(
        "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
    )
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
    DATABASES = {
        "default": parse_database_url(
            env_str("DATABASE_URL", "sqlite:///db.sqlite3"), base_dir=BASE_DIR
        )
    }
    REDIS_URL = env_str("REDIS_URL")
    PROBE_ALLOWED_NETWORKS = env_list(
        "PROBE_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"] if DEBUG else []
    )
    PROBE_SECRET_KEY = env_secret("PROBE_SECRET_KEY")
    # Variables a probe's secret_env may name besides SHIPSHAPE_PROBE_SECRET_*.
    PROBE_SECRET_ENV_ALLOWED = env_list("PROBE_SECRET_ENV_ALLOWED")
    # Probe evidence older than this no longer counts towards readiness.
    PROBE_EVIDENCE_MAX_AGE = env_duration("PROBE_EVIDENCE_MAX_AGE", timedelta(hours=24))
    LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
except ConfigurationError as error:
    raise ImproperlyConfigured(str(error)) from None

if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off, set SECRET_KEY (or "
            "SECRET_KEY_FILE) to a long random value, e.g. the output of "
            "`openssl rand -hex 32`."
        )
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105

# Applications
INSTALLED_APPS = [
    "apps.core.apps.OperatorAdminConfig",  # django.contrib.admin, superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "apps.core",
    "apps.accounts",
    "apps.audit",
    "apps.catalog",
    "apps.checklists",
    "apps.releases",
    "apps.signoffs",
    "apps.contacts",
    "apps.probes",
    "apps.notifications",
    "apps.records",
    "apps.policy",
    "apps.monitoring",
    "apps.maintenance",
    "apps.oncall",
    "apps.readiness",
    "apps.integrations",
    "apps.incidents",
    "apps.insights",
    "apps.demo",
]

MIDDLEWARE = [
    "apps.core.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "apps.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.RequestContextMiddleware",
    "apps.core.middleware.OpsEndpointsMiddleware",
    "apps.core.middleware.BodyLengthMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.accounts.sso.middleware.SsoSessionRefresh",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
    }
]

# Database
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a health check that polls the socket instead of
    # sending SELECT 1 before every request (apps/core/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "apps.core.postgresql"
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
    # Server-side parameters let psycopg prepare a statement the third time a
    # connection runs it, so hot queries skip PostgreSQL's parse and plan (for
    # the pages' queries, planning took longer than executing; see bench/).
    # Turn it off behind a pooler in transaction mode (PgBouncer < 1.21).
    try:
        _prepared = env_bool("DB_PREPARED_STATEMENTS", True)
    except ConfigurationError as error:
        raise ImproperlyConfigured(str(error)) from None
    if _prepared:
        DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 2)

# Cache: Redis when configured, else process memory
if REDIS_URL:
    CACHES = {
        "default": {
            # A RedisCache that degrades to a miss while Redis is down (see
            # docs/resilience.md).
            "BACKEND": "apps.core.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions are read from the cache and written through to the database, which
# saves a query per request and survives a Redis outage (a miss reads the row).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Celery: without REDIS_URL tasks run in-process, so a bare checkout works
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Time limits sit above the longest probe batch (20 s timeout + margin) and well
# below the visibility timeout, after which Redis hands a lost worker's unacked
# task to another worker. kombu looks for such tasks every interval x throttle
# seconds (100 s by default); 5 x 1 here, so a killed worker's probes come back
# within visibility + 5 s, about 50 s (docs/operations.md, "Workers").
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A hung Redis must not hang a web request: short socket timeouts on the broker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 45),
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 5),
    "unacked_restore_throttle": 1,
    "max_retries": 1,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A worker (and beat) that loses Redis retries for as long as it takes, 2, 4, 6 ...
# up to 30 s apart: with 1 retry here a worker exited 2 s into an outage and queued
# runs waited for a human. Publishing from the web is bounded by max_retries above.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_BEAT_SCHEDULE = {
    "sweep-probe-runs": {
        "task": "apps.probes.tasks.sweep_probe_runs",
        "schedule": 30.0,
    },
}

# Authentication
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "accounts:login"

# Security
try:
    # HTTPS means served over TLS, directly or behind a TLS-terminating proxy.
    HTTPS = env_bool("HTTPS", not DEBUG)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    _proxy_header = env_str("SECURE_PROXY_SSL_HEADER")
    CONTENT_SECURITY_POLICY = env_str(
        "CONTENT_SECURITY_POLICY",
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'",
    )
except ConfigurationError as error:
    raise ImproperlyConfigured(str(error)) from None
# Only trust the header when a proxy in front always sets it (and strips it
# from clients): SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto.
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _proxy_header.upper().replace("-", "_"),
        "https",
    )
# Kubelets, Docker and Prometheus call these over plain HTTP on the pod address.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^ready/$", r"^metrics$"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
# __Host- cookies are only sent over HTTPS, for this exact host and path.
SESSION_COOKIE_NAME = "__Host-sessionid" if HTTPS else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if HTTPS else "csrftoken"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# No CORS middleware is installed: cross-origin reads stay closed.

# Production hardening
try:
    DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 30000)
    METRICS_TOKEN = env_secret("METRICS_TOKEN")
    METRICS_ALLOWED_NETWORKS = env_list(
        "METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"]
    )
    LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
    LOGIN_IP_FAILURE_LIMIT = env_int("LOGIN_IP_FAILURE_LIMIT", 20)
    LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900)
    NUM_PROXIES = env_int("NUM_PROXIES", 0)
    WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 10)
    WORKER_SEEN_WITHIN_SECONDS = env_int("WORKER_SEEN_WITHIN_SECONDS", 60)
    # /ready/ asks the workers with a recent heartbeat to answer a ping within this.
    WORKER_PING_TIMEOUT_MS = env_int("WORKER_PING_TIMEOUT_MS", 1000)
    WORKER_HEARTBEAT_FILE = env_str(
        "WORKER_HEARTBEAT_FILE",
        "/tmp/shipshape-worker-heartbeat",  # noqa: S108
    )
    SENTRY_DSN = env_secret("SENTRY_DSN")
    SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
except ConfigurationError as error:
    raise ImproperlyConfigured(str(error)) from None
# Single sign-on with OpenID Connect (docs/sso.md): off while OIDC_ISSUER is unset.
try:
    OIDC_ISSUER = env_str("OIDC_ISSUER").strip().rstrip("/")
    OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
    OIDC_CLIENT_SECRET = env_secret("OIDC_CLIENT_SECRET")
    OIDC_SCOPES = env_str("OIDC_SCOPES", "openid email profile groups")
    OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
    OIDC_ROLE_MAP = env_str("OIDC_ROLE_MAP")
    OIDC_LOCAL_LOGIN = env_str("OIDC_LOCAL_LOGIN", "break-glass").strip().lower()
    OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "your identity provider")
    OIDC_STEP_UP_SECONDS = env_int("OIDC_STEP_UP_SECONDS", 300)
    # How often a signed-in session is re-checked with the provider (prompt=none).
    OIDC_REFRESH_SECONDS = env_int("OIDC_REFRESH_SECONDS", 900)
    # How often people holding API tokens are checked with the provider.
    OIDC_TOKEN_CHECK_SECONDS = env_int("OIDC_TOKEN_CHECK_SECONDS", 30)
except ConfigurationError as error:
    raise ImproperlyConfigured(str(error)) from None
if OIDC_LOCAL_LOGIN not in {"true", "false", "break-glass"}:
    raise ImproperlyConfigured(
        "OIDC_LOCAL_LOGIN must be true, false or break-glass, "
        f"not {OIDC_LOCAL_LOGIN!r}."
    )
if OIDC_ISSUER and not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured(
        "OIDC_ISSUER is set, so single sign-on is on: set OIDC_CLIENT_ID and "
        "OIDC_CLIENT_SECRET (or OIDC_CLIENT_SECRET_FILE) to the client registered "
        "with the provider."
    )
if OIDC_ISSUER:
    CELERY_BEAT_SCHEDULE["sso-token-check"] = {
        "task": "apps.accounts.tasks.sso_token_check",
        "schedule": float(max(OIDC_TOKEN_CHECK_SECONDS, 5)),
    }
# Both always listed: each steps aside by itself while single sign-on is off
# (the OIDC backend) or restricts passwords while it is on (OIDC_LOCAL_LOGIN).
AUTHENTICATION_BACKENDS = [
    "apps.accounts.lockout.LockoutModelBackend",
    "apps.accounts.sso.backend.SsoBackend",
]
# Django's SMTP backend waits forever by default; every outbound call has a bound.
EMAIL_TIMEOUT = 10
if DATABASES["default"]["ENGINE"].endswith("postgresql") and DB_STATEMENT_TIMEOUT_MS:
    DATABASES["default"]["OPTIONS"].setdefault(
        "options", f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"
    )
if SENTRY_DSN:
    import sentry_sdk

    # PII stays off: audit events, not error reports, say who did what.
    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        send_default_pii=False,
        traces_sample_rate=0.0,
    )

# Internationalisation
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Static files, served by whitenoise
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # A CI job's OIDC ID token (a JWT) first: an API token is no JWT.
        "apps.integrations.ci_auth.CiOidcAuthentication",
        "apps.accounts.tokens.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "apps.accounts.tokens.TokenScope",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": ["config.api_defaults.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api_defaults.PagePagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api_defaults.TokenRateThrottle",
        "config.api_defaults.AnonRateThrottle",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.api_exception_handler",
    # Client addresses for the anonymous throttle come from REMOTE_ADDR unless
    # this many trusted proxies append to X-Forwarded-For.
    "NUM_PROXIES": env_int("API_NUM_PROXIES", 0),
}
API_THROTTLE_RATES = {
    "user": env_str("API_THROTTLE_USER", "1200/min"),
    "anon": env_str("API_THROTTLE_ANON", "60/min"),
    # Refused tokens per client address; past it, 429 until the window ends.
    "auth_failure": env_str("API_THROTTLE_AUTH_FAILURES", "20/min"),
}
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024)
# How long a worker process may reuse a token's check (its owner, their access);
# revoking a token or removing a member reaches every process within this.
API_AUTH_CACHE_MS = env_int("API_AUTH_CACHE_MS", 1000)
if not 0 <= API_AUTH_CACHE_MS <= 1000:
    raise ImproperlyConfigured(
        f"API_AUTH_CACHE_MS must be between 0 and 1000, not {API_AUTH_CACHE_MS}."
    )
SPECTACULAR_SETTINGS = {
    "TITLE": "Shipshape API",
    "DESCRIPTION": "Release readiness: releases, checklists, sign-offs, probes, "
    "the readiness gate and webhooks. Authenticate with `Authorization: Bearer "
    "<token>` (create tokens at /accounts/tokens/).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ReleaseStatusEnum": "apps.releases.models.Release.Status",
        "ItemStateEnum": "apps.releases.models.ReleaseItem.State",
        "ItemKindEnum": "apps.releases.models.ReleaseItem.Kind",
        "ProbeKindEnum": "apps.probes.models.KIND_CHOICES",
        "ProbeRunStatusEnum": "apps.probes.models.ProbeRun.Status",
        "ProbeResultStatusEnum": "apps.probes.models.ProbeResult.Status",
        "SupportResourceKindEnum": "apps.contacts.models.SupportResource.Kind",
        "ProbeScheduleKindEnum": "apps.monitoring.models.ProbeSchedule.Kind",
        "WebhookEventEnum": "apps.notifications.models.EVENTS",
        "EmailEventEnum": "apps.notifications.models.EMAIL_EVENTS",
        "MaintenanceItemStateEnum": "apps.maintenance.models.MaintenanceItem.State",
        "ReleaseKindEnum": "apps.releases.models.Release.Kind",
        "SeverityEnum": "apps.checklists.models.Severity",
        "DeployResultEnum": "apps.releases.models.Release.DeployResult",
        "IncidentSeverityEnum": "apps.incidents.models.Incident.Severity",
        "IncidentSourceEnum": "apps.incidents.models.Incident.Source",
    },
}

# Webhooks: delivery attempts, backoff and timeouts
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6)
WEBHOOK_BACKOFF_SECONDS = env_int("WEBHOOK_BACKOFF_SECONDS", 30)
# Seconds per step (resolve, connect, send, each read), kept well inside the
# Celery soft time limit.
WEBHOOK_TIMEOUT = float(env_int("WEBHOOK_TIMEOUT", 5))

# Logging
try:
    LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json").lower()
except ConfigurationError as error:
    raise ImproperlyConfigured(str(error)) from None
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "apps.core.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
        },
        "json": {"()": "apps.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handler would print its records a second time.
        "django": {"handlers": [], "propagate": True},
        # httpx logs every request at INFO: one line per probe is noise.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# Audit schedule
try:
    # Days of audit events to keep; unset or 0 keeps them forever. Pruning runs
    # as `manage.py prune_audit` under the maintenance role (docs/audit.md).
    AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 0) or None
except ConfigurationError as error:
    raise ImproperlyConfigured(str(error)) from None
CELERY_BEAT_SCHEDULE.update(
    {
        "verify-audit-chain": {
            "task": "apps.audit.tasks.verify_audit_chain",
            "schedule": 6 * 3600.0,
        },
        "publish-audit-head": {
            "task": "apps.audit.tasks.publish_audit_head",
            "schedule": 24 * 3600.0,
        },
    }
)

# Email: SMTP from the environment; the console backend when DEBUG and no host
try:
    EMAIL_HOST = env_str("EMAIL_HOST")
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "shipshape@localhost")
except ConfigurationError as error:
    raise ImproperlyConfigured(str(error)) from None
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST or not DEBUG
    else "django.core.mail.backends.console.EmailBackend"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
try:
    # Where people reach Shipshape: emails and webhook payloads link to pages
    # under it. Unset with DEBUG off, links stay relative and `check --deploy`
    # warns (shipshape.W001).
    SITE_URL = env_site_url("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")
except ConfigurationError as error:
    raise ImproperlyConfigured(str(error)) from None

# Recurring checks, maintenance and on-call: fixed beat entries, schedules are data
try:
    MONITORING_DISPATCH_SECONDS = env_int("MONITORING_DISPATCH_SECONDS", 30)
    MONITORING_MIN_INTERVAL_SECONDS = env_int("MONITORING_MIN_INTERVAL_SECONDS", 60)
except ConfigurationError as error:
    raise ImproperlyConfigured(str(error)) from None
CELERY_BEAT_SCHEDULE.update(
    {
        "dispatch-probe-schedules": {
            "task": "apps.monitoring.tasks.dispatch_probe_schedules",
            "schedule": float(MONITORING_DISPATCH_SECONDS),
        },
        "maintenance-tick": {
            "task": "apps.maintenance.tasks.maintenance_tick",
            "schedule": 300.0,
        },
        "send-email-digests": {
            "task": "apps.notifications.tasks.send_email_digests",
            "schedule": 24 * 3600.0,
        },
        "notify-audit-failures": {
            "task": "apps.notifications.tasks.notify_audit_failures",
            "schedule": 300.0,
        },
    }
)

# Readiness policy: restart post-deploy verification windows whose task chain broke
CELERY_BEAT_SCHEDULE.update(
    {
        "resume-verification-windows": {
            "task": "apps.policy.tasks.resume_verification_windows",
            "schedule": 60.0,
        },
    }
)

# Deploy platforms: the GitHub App that gates deployments (docs/integrations.md)
try:
    GITHUB_APP_ID = env_str("GITHUB_APP_ID")
    GITHUB_APP_PRIVATE_KEY = env_secret("GITHUB_APP_PRIVATE_KEY")
    GITHUB_WEBHOOK_SECRET = env_secret("GITHUB_WEBHOOK_SECRET")
    GITHUB_API_URL = env_str("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    GITHUB_RECONCILE_SECONDS = env_int("GITHUB_RECONCILE_SECONDS", 60)
    # Days to keep inbound webhook deliveries (their payloads); 0 keeps them.
    INBOUND_WEBHOOK_RETENTION_DAYS = env_int("INBOUND_WEBHOOK_RETENTION_DAYS", 30)
    # The Ed25519 key (PEM, PKCS#8) that signs release attestations.
    ATTESTATION_KEY = env_secret("ATTESTATION_KEY")
    # Keyless CI: issuers whose ID tokens a CI job may send instead of an API token.
    CI_OIDC_ISSUERS = [url.rstrip("/") for url in env_list("CI_OIDC_ISSUERS")]
    CI_OIDC_AUDIENCE = env_str("CI_OIDC_AUDIENCE")
    GITLAB_URL = env_str("GITLAB_URL", "https://gitlab.com").rstrip("/")
    GITLAB_RECONCILE_SECONDS = env_int("GITLAB_RECONCILE_SECONDS", 30)
    # The shared secret of GitLab's external status check (X-Gitlab-Signature).
    GITLAB_STATUS_CHECK_SECRET = env_secret("GITLAB_STATUS_CHECK_SECRET")
    # Inbound GitLab webhooks: the classic secret token and/or a Standard
    # Webhooks signing token (whsec_…).
    GITLAB_WEBHOOK_TOKEN = env_secret("GITLAB_WEBHOOK_TOKEN")
    GITLAB_WEBHOOK_SIGNING_TOKEN = env_secret("GITLAB_WEBHOOK_SIGNING_TOKEN")
except ConfigurationError as error:
    raise ImproperlyConfigured(str(error)) from None
CELERY_BEAT_SCHEDULE.update(
    {
        "reconcile-github-gates": {
            "task": "apps.integrations.tasks.reconcile_github_gates",
            "schedule": float(GITHUB_RECONCILE_SECONDS),
        },
        "prune-inbound-deliveries": {
            "task": "apps.integrations.tasks.prune_inbound_deliveries",
            "schedule": 3600.0,
        },
        "answer-gitlab-deployments": {
            "task": "apps.integrations.tasks.answer_gitlab_deployments",
            "schedule": float(GITLAB_RECONCILE_SECONDS),
        },
    }
)

# Resilience: abuse limits of the probes (docs/resilience.md)
try:
    # Probes of one host running at once, per worker process (all runs together).
    PROBE_MAX_CONCURRENT_PER_TARGET = env_int("PROBE_MAX_CONCURRENT_PER_TARGET", 8)
except ConfigurationError as error:
    raise ImproperlyConfigured(str(error)) from None

# Probe secrets: keep this check last, once every variable above has been read
_own = sorted(set(PROBE_SECRET_ENV_ALLOWED) & names_read())
if _own:
    raise ImproperlyConfigured(
        f"PROBE_SECRET_ENV_ALLOWED lists {', '.join(_own)}, which Shipshape reads "
        "for its own configuration; a probe would send it to its target. List "
        "only variables set aside for probes."
    )
