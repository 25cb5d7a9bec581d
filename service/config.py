"""Settings, one line each; every one can be set from the environment."""
import os
from datetime import timedelta


def from_environment(instance_path: str) -> dict:
    default_db = "sqlite:///" + os.path.join(instance_path, "greenlist.sqlite")
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(os.environ.get("DATABASE_URL", default_db)),
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-only-change-me"),
        "GREENLIST_PROCESSES_DIR": os.environ.get("GREENLIST_PROCESSES_DIR", "processes"),
        "GREENLIST_FORMS_DIR": os.environ.get("GREENLIST_FORMS_DIR", "forms"),
        "GREENLIST_VENDOR_DIR": os.environ.get("GREENLIST_VENDOR_DIR"),
        "GREENLIST_ATTACHMENTS_DIR": os.environ.get("GREENLIST_ATTACHMENTS_DIR"),
        "GREENLIST_MAIL_SENDER": os.environ.get("GREENLIST_MAIL_SENDER", "log"),
        "SMTP_HOST": os.environ.get("SMTP_HOST"),
        "SMTP_PORT": os.environ.get("SMTP_PORT", "587"),
        "SMTP_USER": os.environ.get("SMTP_USER"),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD"),
        "SMTP_FROM": os.environ.get("SMTP_FROM"),
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "true"),
        "GREENLIST_LOG_LEVEL": os.environ.get("GREENLIST_LOG_LEVEL", "INFO"),
        "GREENLIST_LOG_FORMAT": os.environ.get("GREENLIST_LOG_FORMAT", "json"),
        # The web's login cookie: HTTPS only as production serves it (`./dev.sh run` on plain http turns that
        # off), never readable by scripts, not sent on cross-site posts, and good for one working day.
        "SESSION_COOKIE_SECURE": os.environ.get("GREENLIST_SECURE_COOKIES", "true").lower() not in ("0", "false", "no"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "greenlist_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        # The CSRF token lives as long as the login: a task page left open all morning still submits.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked by the web blueprint and for cookie-authenticated API writes
        # Upload limits: per application (whoever uploads) and per account in any rolling hour.
        "GREENLIST_UPLOAD_MAX_FILES_PER_APPLICATION": _int("GREENLIST_UPLOAD_MAX_FILES_PER_APPLICATION", 30),
        "GREENLIST_UPLOAD_MAX_MB_PER_APPLICATION": _int("GREENLIST_UPLOAD_MAX_MB_PER_APPLICATION", 200),
        "GREENLIST_UPLOAD_MAX_FILES_PER_USER_HOUR": _int("GREENLIST_UPLOAD_MAX_FILES_PER_USER_HOUR", 100),
        "GREENLIST_UPLOAD_MAX_MB_PER_USER_HOUR": _int("GREENLIST_UPLOAD_MAX_MB_PER_USER_HOUR", 500),
        "GREENLIST_WORKER_INTERVAL": float(os.environ.get("GREENLIST_WORKER_INTERVAL", "30")),
    }


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def normalise_database_url(url: str) -> str:
    # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
