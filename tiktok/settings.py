"""All configuration, read once from the environment (see the README's configuration table)."""

import ipaddress
import os
import re
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from tiktok.env import envbool, envfloat, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DJANGO_DEBUG", False)
HTTPS = envbool("DJANGO_HTTPS", False)
SECRET_KEY = envstr("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if HTTPS:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_HTTPS is on")
    # Development only: a fixed key keeps sessions across restarts on a laptop.
    SECRET_KEY = "dev-insecure-" + "x" * 50
ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "tiktok.apps.ClipAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_q",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "tiktok",
    "accounts",
    "videos",
    "moderation",
    "recommendations",
]

MIDDLEWARE = [
    "tiktok.middleware.RequestIdMiddleware",
    "tiktok.errors.RefusedMiddleware",
    "tiktok.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tiktok.compression.PageGZipMiddleware",  # HTML only; see the module on BREACH
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tiktok.viewer_tokens.ViewerTokenMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "tiktok.urls"
WSGI_APPLICATION = "tiktok.wsgi.application"

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
                "tiktok.context.site",
            ],
        },
    },
    {  # the feed's cards only (videos/cards.py)
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "videos.jinja.environment"},
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60, minimum=0))
except Exception as exc:  # dj_database_url raises several types for a bad URL
    raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers proceed during a write; IMMEDIATE takes the write lock up front so two
    # writers queue on busy_timeout instead of failing with "database is locked".
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    _db["CONN_MAX_AGE"] = 0
    # A file (not memory) so that live-server threads and child processes in tests share it; one
    # per test process so that parallel runs never collide.
    _db["TEST"] = {"NAME": envstr("SQLITE_TEST_NAME", str(VAR_DIR / f"test-{os.getpid()}.sqlite3"))}
elif _db["ENGINE"] == "django.db.backends.mysql":
    # READ COMMITTED, as Django recommends for MySQL: no gap locks, so concurrent get_or_create
    # and select_for_update on rows that do not exist yet cannot deadlock each other.
    _db["OPTIONS"] = {
        "charset": "utf8mb4",
        "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
        "isolation_level": "read committed",
    }
    _db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    # MariaDB cannot build the Lower(username) unique constraint, but its utf8mb4_unicode_ci
    # collation already makes the plain unique username case-insensitive; django-q2's partial
    # index only loses its condition.
    SILENCED_SYSTEM_CHECKS = ["models.W044", "models.W037"]
_db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# Rate limits and lockouts must hold across gunicorn workers, so even without Redis the cache
# is shared (the database cache), never process-local memory.
REDIS_URL = envstr("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "tiktok.cache.ReusingRedisCache", "LOCATION": REDIS_URL}}
    # Sessions read from Redis, written through to the database (they survive a Redis restart).
    SESSION_ENGINE = "tiktok.sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table"}}

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Banned accounts are refused first; ModelBackend stays listed for sessions it already signed.
AUTHENTICATION_BACKENDS = ["moderation.backends.StandingBackend"]  # ModelBackend, refusing banned accounts
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
MINIMUM_AGE = envint("MINIMUM_AGE", 13, minimum=0)
# Log-in lockout: this many failures for one username (or from one address) within the window
# locks further attempts until the window ends.
LOGIN_MAX_FAILURES = envint("LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_SECONDS = envint("LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
SIGNUPS_PER_HOUR_PER_IP = envint("SIGNUPS_PER_HOUR_PER_IP", 10, minimum=1)
# The address those limits count is the connection's own (REMOTE_ADDR), unless the connection
# comes from one of TRUSTED_PROXIES (addresses or CIDR ranges; "unix" for a Unix socket) and
# TRUSTED_PROXY_HEADER names the header that proxy sets, e.g. X-Real-IP from nginx's
# `proxy_set_header X-Real-IP $remote_addr;`. Anyone can send that header: it is believed only
# from those proxies.
TRUSTED_PROXY_HEADER = envstr("TRUSTED_PROXY_HEADER", "").strip()
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", [])
if TRUSTED_PROXY_HEADER and not re.fullmatch(r"[A-Za-z0-9-]+", TRUSTED_PROXY_HEADER):
    raise ImproperlyConfigured(
        f"TRUSTED_PROXY_HEADER must be a header name like X-Real-IP, got {TRUSTED_PROXY_HEADER!r}"
    )
if TRUSTED_PROXY_HEADER and not TRUSTED_PROXIES:
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_HEADER is set but TRUSTED_PROXIES is empty: the header would never be believed"
    )
for _proxy in TRUSTED_PROXIES:
    if _proxy != "unix":
        try:
            ipaddress.ip_network(_proxy, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES must be addresses or CIDR ranges separated by commas, got {_proxy!r}"
            ) from None
# Staff confirm a one-time code (TOTP) before the admin opens; on by default wherever HTTPS is.
STAFF_2FA = envbool("STAFF_2FA", HTTPS)
AVATAR_MAX_BYTES = envint("AVATAR_MAX_BYTES", 5 * 1024 * 1024, minimum=1)
# Width x height read from the image's header, refused above this before any pixel is decoded
# (a small file can claim 12,000 x 12,000 pixels). 4096 x 4096 takes a 12 MP phone photo.
AVATAR_MAX_PIXELS = envint("AVATAR_MAX_PIXELS", 4096 * 4096, minimum=1)
# Avatar uploads per account per hour (every upload counts, accepted or not: each costs a decode).
AVATAR_CHANGES_PER_HOUR = envint("AVATAR_CHANGES_PER_HOUR", 10, minimum=1)
AVATAR_SIZE = 256
# A person may ask for a copy of their data once per this many hours (0: no limit); the zip is
# built in the background and removed this many days after it was asked for.
DATA_EXPORT_INTERVAL_HOURS = envint("DATA_EXPORT_INTERVAL_HOURS", 24, minimum=0)
DATA_EXPORT_KEEP_DAYS = envint("DATA_EXPORT_KEEP_DAYS", 7, minimum=1)

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never routed directly; the media view checks permission first
MODEL_ROOT = Path(envstr("MODEL_ROOT", str(VAR_DIR / "models")))
# Where media lives (videos/media_store.py): "local" (MEDIA_ROOT) or "s3", any S3-compatible store
# (AWS S3, MinIO, Ceph RGW, Cloudflare R2). Credentials and region come from boto3's own variables
# (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION); the operator creates the bucket.
MEDIA_STORAGE = envstr("MEDIA_STORAGE", "local").strip().lower()
if MEDIA_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be 'local' or 's3', got {MEDIA_STORAGE!r}")
S3_ENDPOINT_URL = envstr("S3_ENDPOINT_URL", "").strip()
S3_BUCKET = envstr("S3_BUCKET", "").strip()
# Path-style (endpoint/bucket/key) suits MinIO, Ceph and local servers; AWS itself prefers virtual.
S3_ADDRESSING_STYLE = envstr("S3_ADDRESSING_STYLE", "path" if S3_ENDPOINT_URL else "virtual").strip().lower()
if S3_ADDRESSING_STYLE not in ("path", "virtual", "auto"):
    raise ImproperlyConfigured(f"S3_ADDRESSING_STYLE must be path, virtual or auto, got {S3_ADDRESSING_STYLE!r}")
if MEDIA_STORAGE == "s3" and not S3_BUCKET:
    raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs S3_BUCKET")
# Lifetime of the presigned URLs the media views redirect to: short for videos (each page view asks
# again, after the permission check), longer for avatars and posters of public videos.
MEDIA_URL_EXPIRES_SECONDS = envint("MEDIA_URL_EXPIRES_SECONDS", 600, minimum=60)
MEDIA_PUBLIC_URL_EXPIRES_SECONDS = envint("MEDIA_PUBLIC_URL_EXPIRES_SECONDS", 24 * 3600, minimum=60)
# Private scratch space of this machine: downloads for ffmpeg and the moderation stages, removed after use.
MEDIA_WORK_ROOT = Path(envstr("MEDIA_WORK_ROOT", str(VAR_DIR / "work")))


def s3_storage_options(*, bucket: str, endpoint_url: str, addressing_style: str) -> dict:
    """django-storages' S3Storage options: private objects, presigned reads, keys as given."""
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "addressing_style": addressing_style,
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": MEDIA_URL_EXPIRES_SECONDS,
        "file_overwrite": True,
        "signature_version": "s3v4",
    }


if MEDIA_STORAGE == "s3":
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_storage_options(
            bucket=S3_BUCKET, endpoint_url=S3_ENDPOINT_URL, addressing_style=S3_ADDRESSING_STYLE
        ),
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Files browsers ask for at the site's root (/favicon.ico, also on admin and error pages).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
# The media view hands the file to nginx instead of streaming it in Python when this is set.
MEDIA_X_ACCEL_PREFIX = envstr("MEDIA_X_ACCEL_PREFIX", "")

# --- Viewer actions -------------------------------------------------------------------------
# Per viewer, per minute, in the shared cache. The player sends a few events per video watched.
EVENTS_RATE_PER_MINUTE = envint("EVENTS_RATE_PER_MINUTE", 240, minimum=1)
COMMENT_RATE_PER_MINUTE = envint("COMMENT_RATE_PER_MINUTE", 20, minimum=1)
# Signed-out viewers: the beacon takes their events only with the signed viewer token a page view
# sets (a cookie, no database row), valid this many seconds (refreshed by page views at half-life).
VIEWER_TOKEN_MAX_AGE = envint("VIEWER_TOKEN_MAX_AGE", 7 * 24 * 3600, minimum=60)
# Per address (an IPv6 /64 counts as one), in the shared cache: signed-out events per minute, and
# new signed-out viewers (each one's first accepted event starts a session) per hour.
ANON_EVENTS_PER_MINUTE_PER_IP = envint("ANON_EVENTS_PER_MINUTE_PER_IP", 600, minimum=1)
ANON_VIEWERS_PER_HOUR_PER_IP = envint("ANON_VIEWERS_PER_HOUR_PER_IP", 120, minimum=1)
FEED_PAGE_SIZE = envint("FEED_PAGE_SIZE", 8, minimum=1)

# Raw engagement events older than this many days are rolled up into daily aggregates.
EVENT_RETENTION_DAYS = envint("EVENT_RETENTION_DAYS", 90, minimum=1)

# --- Uploads and transcoding ----------------------------------------------------------------
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", 200 * 1024 * 1024, minimum=1)
# Uploads per account per hour, accepted or not (each costs an ffprobe and a transcode job).
UPLOADS_PER_HOUR = envint("UPLOADS_PER_HOUR", 20, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = None
VIDEO_MIN_SECONDS = envfloat("VIDEO_MIN_SECONDS", 1.0)
VIDEO_MAX_SECONDS = envfloat("VIDEO_MAX_SECONDS", 600.0)
VIDEO_MAX_SIDE = envint("VIDEO_MAX_SIDE", 4096, minimum=16)
KEEP_ORIGINALS = envbool("KEEP_ORIGINALS", False)
ORIGINALS_ROOT = Path(envstr("ORIGINALS_ROOT", str(VAR_DIR / "originals")))
UPLOAD_TMP_ROOT = Path(envstr("UPLOAD_TMP_ROOT", str(VAR_DIR / "uploads")))
TRANSCODE_MAX_ATTEMPTS = envint("TRANSCODE_MAX_ATTEMPTS", 3, minimum=1)
TRANSCODE_RETRY_BASE_SECONDS = envint("TRANSCODE_RETRY_BASE_SECONDS", 30, minimum=0)
TRANSCODE_STALE_SECONDS = envint("TRANSCODE_STALE_SECONDS", 1800, minimum=1)
FFMPEG_THREADS = envint("FFMPEG_THREADS", 0, minimum=0)
# Largest file one ffmpeg run may write (0: no limit); guards the volume against a runaway encode.
# 2 GiB: ten times the default upload limit, several times a 600 s 720p rendition at its 4 Mb/s cap.
FFMPEG_MAX_FILE_BYTES = envint("FFMPEG_MAX_FILE_BYTES", 2 * 1024 * 1024 * 1024, minimum=0)
# A transcode that writes no progress line for this long is killed and fails (then retried).
FFMPEG_STALL_SECONDS = envint("FFMPEG_STALL_SECONDS", 120, minimum=1)
# Encode a new video's 360p alone first and make it watchable (once a decision approved it) while
# its 720p is encoded: earlier publication for more CPU in all (the source is decoded twice).
PUBLISH_360P_FIRST = envbool("PUBLISH_360P_FIRST", False)

# --- Models and AI --------------------------------------------------------------------------
COMMENT_ENCODER_DIR = envstr("COMMENT_ENCODER_DIR", "")
# How the comment encoder runs: "onnx-int8" (the shipped default), "onnx" or "torch"; threads per process.
COMMENT_ENCODER_BACKEND = envstr("COMMENT_ENCODER_BACKEND", "onnx-int8")
COMMENT_ENCODER_THREADS = envint("COMMENT_ENCODER_THREADS", 2, minimum=1)
# After a new comment classifier is activated, comments of this many days are checked again.
COMMENT_RESCORE_DAYS = envint("COMMENT_RESCORE_DAYS", 3, minimum=0)
WHISPER_MODEL_DIR = envstr("WHISPER_MODEL_DIR", "")
GEMINI_API_KEY = envstr("GEMINI_API_KEY", "")
GEMINI_MODEL = envstr("GEMINI_MODEL", "gemini-2.5-flash")
GEMINI_BASE_URL = envstr("GEMINI_BASE_URL", "")
GEMINI_TIMEOUT_SECONDS = envint("GEMINI_TIMEOUT_SECONDS", 300, minimum=1)
GEMINI_RETRY_BASE_SECONDS = envfloat("GEMINI_RETRY_BASE_SECONDS", 2.0)
GEMINI_RETRY_MAX_SECONDS = envfloat("GEMINI_RETRY_MAX_SECONDS", 60.0)
GEMINI_MAX_ATTEMPTS = envint("GEMINI_MAX_ATTEMPTS", 5, minimum=1)
GEMINI_POLL_SECONDS = envfloat("GEMINI_POLL_SECONDS", 2.0)
# Which videos the moderation stage sends to Google (the file, title, description and transcript):
# "none", "public" (public videos only; unlisted and private ones stay here) or "all".
GEMINI_SEND = envstr("GEMINI_SEND", "public").strip().lower()
if GEMINI_SEND not in ("none", "public", "all"):
    raise ImproperlyConfigured(f"GEMINI_SEND must be none, public or all, got {GEMINI_SEND!r}")

# --- Video moderation, reports, strikes -----------------------------------------------------
# The class videos and accounts hand new content to (tiktok/gate.py); content stays unpublished
# until it decides, so a gate that fails keeps everything held.
CONTENT_GATE = envstr("CONTENT_GATE", "moderation.gate.ModerationGate")
VIDEO_MODERATION_RETRY_BASE_SECONDS = envint("VIDEO_MODERATION_RETRY_BASE_SECONDS", 30, minimum=0)
VIDEO_MODERATION_MAX_FRAMES = envint("VIDEO_MODERATION_MAX_FRAMES", 30, minimum=1)
VIDEO_MODERATION_EVIDENCE_FRAMES = envint("VIDEO_MODERATION_EVIDENCE_FRAMES", 6, minimum=0)
# A moderation job with no heartbeat for this long is taken to have lost its worker and is requeued.
VIDEO_MODERATION_STALE_SECONDS = envint("VIDEO_MODERATION_STALE_SECONDS", 1800, minimum=1)
VIDEO_MODERATION_MAX_ATTEMPTS = envint("VIDEO_MODERATION_MAX_ATTEMPTS", 3, minimum=1)
# Reports are weighed by the reporter's standing (moderation.reports.reporter_weight):
#   weight = age factor x (1 + upheld) / (1 + upheld + dismissed)
# upheld and dismissed count the reporter's earlier reports that moderators decided. The age
# factor is REPORTER_NEW_WEIGHT for an account younger than REPORTER_MIN_AGE_HOURS, otherwise
# account age / REPORTER_FULL_AGE_DAYS, kept between REPORTER_NEW_WEIGHT and 1. An item is hidden
# pending review once the weights of its open reports (brigade reports aside) add up to
# REPORTS_HIDE_THRESHOLD: three reporters in full standing, or thirty brand-new accounts.
REPORTS_HIDE_THRESHOLD = envfloat("REPORTS_HIDE_THRESHOLD", 3.0)
REPORTER_MIN_AGE_HOURS = envint("REPORTER_MIN_AGE_HOURS", 72, minimum=0)
REPORTER_NEW_WEIGHT = envfloat("REPORTER_NEW_WEIGHT", 0.1)
REPORTER_FULL_AGE_DAYS = envint("REPORTER_FULL_AGE_DAYS", 30, minimum=1)
if REPORTS_HIDE_THRESHOLD <= 0:
    raise ImproperlyConfigured(f"REPORTS_HIDE_THRESHOLD must be above 0, got {REPORTS_HIDE_THRESHOLD}")
if not 0 <= REPORTER_NEW_WEIGHT <= 1:
    raise ImproperlyConfigured(f"REPORTER_NEW_WEIGHT must be between 0 and 1, got {REPORTER_NEW_WEIGHT}")
# This many reports on one item from accounts younger than REPORTER_MIN_AGE_HOURS within
# REPORTS_BRIGADE_MINUTES are flagged as a possible brigade: moderators see them in the report
# queue, and they count for nothing toward hiding the item.
REPORTS_BRIGADE_COUNT = envint("REPORTS_BRIGADE_COUNT", 3, minimum=2)
REPORTS_BRIGADE_MINUTES = envint("REPORTS_BRIGADE_MINUTES", 60, minimum=1)
REPORTS_PER_HOUR = envint("REPORTS_PER_HOUR", 20, minimum=1)
STRIKES_SUSPEND_AT = envint("STRIKES_SUSPEND_AT", 3, minimum=1)
STRIKES_BAN_AT = envint("STRIKES_BAN_AT", 5, minimum=1)
SUSPENSION_DAYS = envint("SUSPENSION_DAYS", 7, minimum=1)

# --- Background jobs (django-q2) ------------------------------------------------------------
# The ORM broker keeps a task row until a worker acknowledges it, so a crashed worker loses
# nothing. `timeout` is always shorter than `retry`, so a job still running is never handed to
# a second worker. Long jobs (transcoding, moderation of videos, training) run on their own
# cluster ("long") so they never starve comment re-scoring and notifications.
Q_BROKER = envstr("Q_BROKER", "orm")
if Q_BROKER not in {"orm", "redis"}:
    raise ImproperlyConfigured(f"Q_BROKER must be 'orm' or 'redis', got {Q_BROKER!r}")
if Q_BROKER == "redis" and not REDIS_URL:
    raise ImproperlyConfigured("Q_BROKER=redis needs REDIS_URL")
Q_SHORT_WORKERS = envint("Q_SHORT_WORKERS", 2, minimum=1)
# Two long workers, so a video's moderation runs beside its transcode (docs/performance.md).
Q_LONG_WORKERS = envint("Q_LONG_WORKERS", 2, minimum=1)
Q_SHORT_TIMEOUT = envint("Q_SHORT_TIMEOUT", 120, minimum=1)
Q_SHORT_RETRY = envint("Q_SHORT_RETRY", 180, minimum=2)
Q_LONG_TIMEOUT = envint("Q_LONG_TIMEOUT", 3600, minimum=1)
Q_LONG_RETRY = envint("Q_LONG_RETRY", 3700, minimum=2)
for _name, _timeout, _retry in (("SHORT", Q_SHORT_TIMEOUT, Q_SHORT_RETRY), ("LONG", Q_LONG_TIMEOUT, Q_LONG_RETRY)):
    if _timeout >= _retry:
        raise ImproperlyConfigured(f"Q_{_name}_TIMEOUT must be shorter than Q_{_name}_RETRY")
_q_broker = {"redis": REDIS_URL} if Q_BROKER == "redis" else {"orm": "default"}
Q_CLUSTER = {
    "name": "short",
    "workers": Q_SHORT_WORKERS,
    "timeout": Q_SHORT_TIMEOUT,
    "retry": Q_SHORT_RETRY,
    "max_attempts": 3,
    "queue_limit": 50,
    "bulk": 10,
    "poll": 0.2,  # the ORM broker's wait for a new job: a video's first job starts sooner
    "catch_up": False,
    "save_limit": 1000,
    "ack_failures": True,
    "label": "Jobs",
    "sync": envbool("Q_SYNC", False),  # tests and `--wait` commands run jobs inline
    **_q_broker,
    "ALT_CLUSTERS": {
        "long": {
            "workers": Q_LONG_WORKERS,
            "timeout": Q_LONG_TIMEOUT,
            "retry": Q_LONG_RETRY,
            "max_attempts": 2,
            "queue_limit": 2,
            "bulk": 1,
        },
    },
}

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_HOST = envstr("EMAIL_HOST", "")
EMAIL_BACKEND = envstr(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = envint("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "no-reply@localhost")

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie; the token travels in hx-headers
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("DJANGO_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


# With media in a bucket, pages load renditions, posters and avatars from the store's presigned
# URLs: its origin joins img-src and media-src (S3_MEDIA_ORIGIN overrides the derived one).
def _s3_origin() -> str:
    if not S3_ENDPOINT_URL:
        return "https://*.amazonaws.com"
    scheme, _, rest = S3_ENDPOINT_URL.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{S3_BUCKET}.{host}" if S3_ADDRESSING_STYLE == "virtual" else f"{scheme}://{host}"


MEDIA_ORIGINS = [envstr("S3_MEDIA_ORIGIN", "") or _s3_origin()] if MEDIA_STORAGE == "s3" else []

# No inline script anywhere: every <script> carries the per-request nonce, and htmx runs
# without hx-on or eval. Inline styles stay allowed (htmx's indicator styles, progress bars).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:", *MEDIA_ORIGINS],
        "media-src": [SELF, "blob:", *MEDIA_ORIGINS],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOG_FORMAT = envstr("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'plain' or 'json', got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tiktok.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "tiktok.middleware.JsonFormatter"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["stderr"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
