"""greenlist: the workflow system for Jilin Province's provincial green manufacturing list round."""
import os

from flask import Flask, g, jsonify, request
from werkzeug.middleware.proxy_fix import ProxyFix

from service.platform.config import from_environment, normalise_database_url, proxy_hops, settle_secret_key
from service.platform.errors import ServiceError
from service.platform.extensions import (csrf, db, login_manager, migrate, serialize_sqlite_writers,
                                         sqlite_engine_options)
from service.platform.inputs import ColumnIntConverter
from service.platform.database import MIGRATIONS


def create_app(config: dict | None = None, *, secret_required: bool = True) -> Flask:
    """The application; refuses (InsecureConfiguration) to be built for serving without a real SECRET_KEY.

    ``secret_required=False`` is for the commands that never read a login cookie (migrations, deploy, worker).
    """
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = ColumnIntConverter  # for every rule added below, the web's and the API's
    app.config["MAX_CONTENT_LENGTH"] = 25 * 1024 * 1024  # larger bodies get 413 before any parsing
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(from_environment(app.instance_path))
    if config:
        app.config.update(config)
    settle_secret_key(app.config, required=secret_required)
    hops = proxy_hops(app.config)
    if hops:
        # The client is the address our own proxies saw: X-Forwarded-For entries beyond them are the
        # client's word and are ignored (the login throttle counts per address). Only the address is taken
        # from the proxy; the cookie's Secure flag is a setting, not read from X-Forwarded-Proto.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=0)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = sqlite_engine_options(app.config.get("SQLALCHEMY_ENGINE_OPTIONS"))
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            serialize_sqlite_writers(db.engine)

    from service.platform.database import import_models

    import_models()
    from service.platform.logs import configure_logging, install_request_logging
    from service.platform.security_headers import install_security_headers
    from service.platform.health import bp as status_bp

    if not app.config.get("TESTING"):
        configure_logging(app.config["GREENLIST_LOG_LEVEL"], app.config["GREENLIST_LOG_FORMAT"])
    install_request_logging(app)
    install_security_headers(app)

    app.register_blueprint(status_bp)

    from service.api import init_api

    init_api(app)

    from service.web import init_web

    init_web(app)

    from service.platform.transactions import forget_lock_late, forget_reads_only, lock_late_for, reads_only

    @app.before_request
    def _reads_only_for_safe_methods():
        g.reads_only = reads_only(request.method in ("GET", "HEAD", "OPTIONS"))
        g.lock_late = lock_late_for(app.view_functions.get(request.endpoint))

    @app.teardown_request
    def _forget_reads_only(_error):
        token = g.pop("reads_only", None)
        if token is not None:
            forget_reads_only(token)
        token = g.pop("lock_late", None)
        if token is not None:
            forget_lock_late(token)

    @app.errorhandler(ServiceError)
    def service_error(err: ServiceError):
        headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else {}
        if err.status == 429 and isinstance(err.details, dict) and "retry_after" in err.details:
            headers["Retry-After"] = str(err.details["retry_after"])
        return jsonify(err.to_dict()), err.status, headers

    return app
