"""Settings, one line each; every one can be set from the environment."""
import os
import secrets
from datetime import timedelta

# A shorter key is a password someone chose (the old default was "dev-only-change-me"): guessable, and with it
# anyone can sign a login cookie for any account.
MIN_SECRET_KEY_LENGTH = 32
MAKE_A_KEY = "export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"


class InsecureConfiguration(RuntimeError):
    """The service must not start like this (it would accept forged logins)."""


def from_environment(instance_path: str) -> dict:
    default_db = "sqlite:///" + os.path.join(instance_path, "greenlist.sqlite")
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(os.environ.get("DATABASE_URL", default_db)),
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        # How many reverse proxies in front of us append to X-Forwarded-For; 0 = trust only the socket address.
        "GREENLIST_PROXY_HOPS": os.environ.get("GREENLIST_PROXY_HOPS", "0"),
        "GREENLIST_PROCESSES_DIR": os.environ.get("GREENLIST_PROCESSES_DIR", "processes"),
        "GREENLIST_FORMS_DIR": os.environ.get("GREENLIST_FORMS_DIR", "forms"),
        "GREENLIST_VENDOR_DIR": os.environ.get("GREENLIST_VENDOR_DIR"),
        "GREENLIST_ATTACHMENTS_DIR": os.environ.get("GREENLIST_ATTACHMENTS_DIR"),
        "GREENLIST_MAIL_SENDER": os.environ.get("GREENLIST_MAIL_SENDER", "log"),
        # Where users reach the service: the links in mails (set or reset a password, verify an address).
        "GREENLIST_PUBLIC_URL": os.environ.get("GREENLIST_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
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


def settle_secret_key(config: dict, *, required: bool) -> None:
    """Refuse to serve without a real SECRET_KEY: it signs the login cookie and the CSRF tokens.

    Tests get a throwaway key of their own; commands that never read a cookie (migrations, deploy, the
    worker) may run without one.
    """
    if config.get("TESTING") and not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = secrets.token_hex(32)
    elif required:
        check_secret_key(config.get("SECRET_KEY"))


def check_secret_key(key: str | None) -> None:
    if not key:
        problem = "未设置 SECRET_KEY"
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        problem = f"SECRET_KEY 过短（应为至少 {MIN_SECRET_KEY_LENGTH} 个字符的随机串）"
    else:
        return
    raise InsecureConfiguration(f"{problem}，服务拒绝启动：任何人都可以伪造登录。请生成一个随机密钥并设置到环境变量：\n"
                                f"  {MAKE_A_KEY}\n（./dev.sh run 会自动在 instance/secret_key 生成一个，仅供本机开发使用）")


def proxy_hops(config: dict) -> int:
    value = str(config.get("GREENLIST_PROXY_HOPS") or "0").strip()
    if not value.isdigit():
        raise InsecureConfiguration(f"GREENLIST_PROXY_HOPS 应为非负整数（前置反向代理的层数），而不是 {value!r}")
    return int(value)
