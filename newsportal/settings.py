"""Settings for the news portal, read from the environment (12-factor).

Development needs nothing set: SQLite under var/, a local-memory cache and the console
mail backend. Production (DEBUG=0) refuses to start without SECRET_KEY and ALLOWED_HOSTS,
and turns the HTTPS protections on; see README.md for every variable.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1, not {value!r}")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

if DEBUG:
    SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-development-only-key-do-not-use"
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
else:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random string of at least 50 characters when DEBUG=0"
        )
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names when DEBUG=0")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "django.contrib.sitemaps",
    "allauth",
    "allauth.account",
    "mptt",
    "accounts",
    "articles",
    "comments",
    "moderation",
]

MIDDLEWARE = [
    # First: a cached page for an anonymous reader is stored with every header the rest of
    # the stack adds (security headers included) and goes out without running any of it.
    "newsportal.pagecache.AnonymousPageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "newsportal.middleware.SecurityHeadersMiddleware",
    "newsportal.caching.PublicCacheMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "newsportal.i18n.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "newsportal.urls"
WSGI_APPLICATION = "newsportal.wsgi.application"

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
                "articles.context_processors.portal",
                "moderation.context_processors.moderation",
            ],
        },
    },
]

# Database: DATABASE_URL selects the engine; the default is an embedded SQLite file.
# SQLite runs in WAL mode with IMMEDIATE transactions and a busy timeout, so concurrent
# writers queue up instead of failing with "database is locked".
SQLITE_PATH = VAR_DIR / "db.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{SQLITE_PATH}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
        ),
    }
    # A file (not memory) so that browser tests' live server and threads share it; named per
    # process so that two test runs on one machine do not destroy each other's database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    # A fresh clone has no var/ yet; SQLite cannot create the directory itself.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set (shared by every app server), otherwise process memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, degrading to misses while Redis is away (newsportal.cache).
            "BACKEND": "newsportal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "newsportal"),
            "TIMEOUT": 300,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "newsportal",
            "TIMEOUT": 300,
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Django's and allauth's backends, loading the signed-in user with a written-out query.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
# Django's database sessions, read with a written-out query (newsportal.sessions).
SESSION_ENGINE = "newsportal.sessions"
SITE_ID = 1
LOGIN_URL = "account_login"
# After log-in and sign-up readers return to ?next= (the story they were reading, the
# comment form); only without one do they land on the home page.
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

# Accounts (django-allauth). Readers log in with their username or their e-mail address
# and sign up with a username, an e-mail address and the password typed twice. Usernames
# keep the case they were typed in but are unique regardless of it ("Айбалта" and
# "айбалта" are one person); accounts.adapter and accounts.usernames hold the rules.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm", "signup": "accounts.forms.SignupForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_PRESERVE_USERNAME_CASING = True
ACCOUNT_USERNAME_MIN_LENGTH = 3
ACCOUNT_USERNAME_VALIDATORS = "accounts.usernames.USERNAME_VALIDATORS"
ACCOUNT_UNIQUE_EMAIL = True
# "optional" lets a new reader comment at once, which suits development; production should
# set ACCOUNT_EMAIL_VERIFICATION=mandatory, so every account has a working address.
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "optional")
if ACCOUNT_EMAIL_VERIFICATION not in {"mandatory", "optional", "none"}:
    raise ImproperlyConfigured(
        "ACCOUNT_EMAIL_VERIFICATION must be mandatory, optional or none, "
        f"not {ACCOUNT_EMAIL_VERIFICATION!r}"
    )
ACCOUNT_LOGOUT_ON_GET = False
# allauth's rate limits (log-in attempts, sign-ups, password resets) stay at their defaults;
# they count in the cache, which must be Redis (REDIS_URL) once there are several workers.

# Internationalisation: Russian first, Kazakh second, English third.
LANGUAGE_CODE = "ru"
LANGUAGES = [
    ("ru", _("Russian")),
    ("kk", _("Kazakh")),
    ("en", _("English")),
]
# locale/ is ours (makemessages); vendor_locale/ gives Kazakh to django-allauth's and
# Django's own messages, which they do not translate into Kazakh themselves (readers
# would otherwise see Russian, the fallback, on the log-in and sign-up pages). Both win
# over the packages' catalogues.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "vendor_locale"]
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Article views are counted in the cache and moved to the database in batches
# (articles.popularity): after this many views, or when the oldest is this many seconds old.
# A busy site flushes every N views (cluster-wide), a quiet one every T seconds; a flush
# runs in a request, so N is large enough that a crowd of readers triggers a few a minute.
ARTICLE_VIEWS_FLUSH_EVERY = env_int("ARTICLE_VIEWS_FLUSH_EVERY", 5000)
ARTICLE_VIEWS_FLUSH_SECONDS = env_int("ARTICLE_VIEWS_FLUSH_SECONDS", 30)
# How long a shared proxy may keep a page for anonymous readers (newsportal.caching).
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 30)
# How long the app itself keeps whole pages for anonymous readers (newsportal.pagecache);
# 0 turns it off.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 30)
# How long the article page shared by signed-in readers, personalised per request, is kept
# (articles.reader_page); 0 draws every signed-in page in full.
READER_PAGE_SECONDS = env_int("READER_PAGE_SECONDS", 30)
# How long a signed-in reader's session and user row may be served from the shared cache
# (newsportal.snapshots); every change forgets the copy at once. Off with a per-process
# cache, where one worker could not forget another's copy.
AUTH_CACHE_SECONDS = env_int("AUTH_CACHE_SECONDS", 60 if REDIS_URL else 0)

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Serve MEDIA_ROOT from Django itself: on for development and single-machine installs;
# turn it off when a proxy or object storage serves media (see README).
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG)
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
# Uploads larger than this are refused before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o644

# Mail (sign-up confirmations, password resets): printed to the console by default;
# sent by SMTP when EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security. Production serves HTTPS only; behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=1 so Django trusts X-Forwarded-Proto from it.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Abuse limits (newsportal.ratelimit): (burst, seconds per request after it) per user,
# per new account, and per IP address. Kept in the cache, so shared through Redis.
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
RATE_LIMIT_NEW_ACCOUNT_HOURS = env_int("RATE_LIMIT_NEW_ACCOUNT_HOURS", 24)
# Behind a proxy that sets it, the header holding the client's address, e.g. HTTP_X_REAL_IP.
RATE_LIMIT_IP_HEADER = os.environ.get("RATE_LIMIT_IP_HEADER", "")
RATE_LIMITS = {
    "comment": {"user": (5, 20), "new_user": (3, 60), "ip": (30, 2)},
    "vote": {"user": (30, 1), "ip": (200, 0.2)},
    "reaction": {"user": (20, 2), "ip": (200, 0.2)},
    "report": {"user": (5, 60), "ip": (30, 10)},
}

# Extra image origins for the Content-Security-Policy (newsportal.middleware), e.g. the
# object storage or CDN that serves media: CSP_MEDIA_SOURCES=https://media.example.kz
CSP_MEDIA_SOURCES = env_list("CSP_MEDIA_SOURCES")

# Identity of the publication, used in page titles, feeds and structured data.
SITE_NAME = os.environ.get("SITE_NAME", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

AUTH_USER_MODEL = "accounts.User"
FORMAT_MODULE_PATH = ["newsportal.formats"]
