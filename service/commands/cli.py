"""The `greenlist` command: serve, worker, validate, deploy, init-db, create-admin, seed-demo, audit-verify,
calendar, bench, bench-instructions."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from service import create_app


def app_for_commands():
    # Migrations, deploy, seed-demo and the worker never read a login cookie, so they need no SECRET_KEY;
    # `serve` checks for one before it listens (gunicorn's service.wsgi refuses without one).
    return create_app(secret_required=False)


@click.group(cls=FlaskGroup, create_app=app_for_commands, add_default_commands=False, add_version_option=False)
def cli():
    """省级绿色制造名单申报评审系统 (greenlist)."""


@cli.command("validate")
@click.option("--processes", "processes_dir", default="processes", show_default=True, help="BPMN/DMN 目录")
@click.option("--forms", "forms_dir", default="forms", show_default=True, help="表单目录")
def validate_command(processes_dir, forms_dir):
    """Validate a process bundle; exit 1 with the list of problems if it is not deployable."""
    from service.engine.bundle import Bundle
    from service.engine.validation import validate_bundle

    bundle = Bundle.from_directories(processes_dir, forms_dir)
    problems = validate_bundle(bundle, _deployment_lane_roles())
    if problems:
        click.echo(f"流程包校验未通过，共 {len(problems)} 个问题：", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    click.echo(f"流程包校验通过：{len(bundle.processes)} 个流程文件，{len(bundle.forms)} 个表单，哈希 {bundle.content_hash[:12]}")


def _deployment_lane_roles() -> dict[str, str] | None:
    """The database's roles, when it has them (a lane may name a role an administrator added there); None,
    meaning the built-in roles, when there is no database or it predates the role table."""
    from sqlalchemy.exc import SQLAlchemyError

    from service.accounts.roles import lane_roles

    from service.platform.extensions import db

    try:
        with app_for_commands().app_context():
            url = db.engine.url
            if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
                return None  # reading would create an empty database file
            return lane_roles()
    except SQLAlchemyError:
        return None


@cli.command("init-db")
@with_appcontext
def init_db_command():
    """Bring the database schema to the current revision (same as `greenlist db upgrade`)."""
    from service.platform.database import current_revision, upgrade_database

    upgrade_database()
    click.echo(f"数据库结构已是最新版本（{current_revision()}）")


@cli.command("deploy")
@click.option("--processes", "processes_dir", default=None, help="BPMN/DMN 目录（默认取配置）")
@click.option("--forms", "forms_dir", default=None, help="表单目录（默认取配置）")
@click.option("--note", default="", help="部署说明")
@click.option("--actor", default="admin", show_default=True, help="部署人")
@with_appcontext
def deploy_command(processes_dir, forms_dir, note, actor):
    """Validate and store the bundle as a new immutable process version."""
    from flask import current_app

    from service.platform.transactions import transaction
    from service.engine.bundle import Bundle
    from service.platform.errors import ServiceError
    from service.versions.deploy import deploy

    bundle = Bundle.from_directories(processes_dir or current_app.config["GREENLIST_PROCESSES_DIR"],
                                     forms_dir or current_app.config["GREENLIST_FORMS_DIR"])
    try:
        with transaction():
            version, created = deploy(bundle, actor=actor, note=note)
            number = version.number
    except ServiceError as err:
        click.echo(err.message, err=True)
        for line in err.details or []:
            click.echo(f"  - {line}", err=True)
        sys.exit(1)
    click.echo(f"已部署为第 {number} 版" if created else f"内容未变，仍为第 {number} 版")


@cli.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Schema, deployed bundle, open round "2024" and the demo accounts (password demo); idempotent."""
    from flask import current_app

    from service.commands.demo import seed_demo
    from service.engine.bundle import Bundle
    from service.platform.database import upgrade_database
    from service.platform.transactions import transaction

    upgrade_database()  # "creates the schema when absent", and brings an old one up to date
    bundle = Bundle.from_directories(current_app.config["GREENLIST_PROCESSES_DIR"],
                                     current_app.config["GREENLIST_FORMS_DIR"])
    with transaction():
        lines = seed_demo(bundle)
    for line in lines:
        click.echo(line)


@cli.command("create-admin")
@click.argument("username")
@click.option("--name", "display_name", default="系统管理员", show_default=True, help="显示名称")
@with_appcontext
def create_admin_command(username, display_name):
    """Create an administrator account. The password is asked twice at a terminal, or read from the first
    line of standard input otherwise (`... | greenlist create-admin admin`); never from an argument."""
    from service.accounts.admin import FIELD_NAMES, create_account, taken_usernames
    from service.accounts.passwords import password_problem
    from service.platform.database import schema_is_current
    from service.platform.errors import ServiceError
    from service.platform.transactions import transaction

    if not schema_is_current():
        _refuse("数据库结构不是最新版本，请先运行 greenlist init-db")
    if taken_usernames([username]):
        _refuse(f"用户名“{username}”已存在，未创建账号（如需重设密码，请使用找回密码或由其他管理员处理）")
    password = _read_password()
    problem = password_problem(password, username=username)
    if problem:
        _refuse(f"密码不符合要求：{problem}")
    try:
        with transaction():
            create_account(actor="create-admin", preset_password=password,
                           values={"username": username, "display_name": display_name, "roles": ["admin"]})
    except ServiceError as err:
        lines = [f"{FIELD_NAMES.get(field, field)}：{'；'.join(reasons)}" for field, reasons in err.fields.items()]
        _refuse("\n".join([f"未创建账号：{err.message}", *lines]))
    click.echo(f"已创建管理员账号“{username}”，请用它登录后创建其他账号")


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    while True:
        first = click.prompt("密码", hide_input=True, prompt_suffix="：")
        if click.prompt("再次输入密码", hide_input=True, prompt_suffix="：") == first:
            return first
        click.echo("两次输入的密码不一致，请重新输入", err=True)


def _refuse(message: str):
    click.echo(message, err=True)
    sys.exit(1)


@cli.command("worker")
@click.option("--once", is_flag=True, help="处理一次到期定时器后退出")
@click.option("--interval", type=float, default=None, help="轮询间隔（秒）")
@with_appcontext
def worker_command(once, interval):
    """Fire due timers, queue deadline reminders, deliver notifications."""
    from flask import current_app

    from service.notify.senders import sender_from_config
    from service.commands.worker import drain

    interval = interval or current_app.config["GREENLIST_WORKER_INTERVAL"]
    sender = sender_from_config(current_app.config)
    while True:
        done = drain(sender)  # sleeps only once nothing is left waiting
        if once:
            click.echo(f"已处理 {done['applications']} 个到期的申报，新增 {done['reminders']} 条到期提醒，"
                       f"发送 {done['notifications']} 条通知")
            return
        time.sleep(interval)


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host, port):
    """Run the web service (development server; production uses gunicorn)."""
    from flask import current_app
    from werkzeug.serving import run_simple

    from service.platform.config import InsecureConfiguration, check_secret_key

    try:
        check_secret_key(current_app.config.get("SECRET_KEY"))
    except InsecureConfiguration as err:
        click.echo(str(err), err=True)
        sys.exit(1)
    # app.run() refuses to start inside a `flask`-style CLI command; run the server directly.
    run_simple(host, port, current_app._get_current_object(), threaded=True)


@cli.command("audit-verify")
@click.option("--application", "application_id", type=int, default=None, help="只校验一个申报")
@with_appcontext
def audit_verify_command(application_id):
    """Re-compute the audit hash chains and compare them with the daily anchors; exit 1 on any break."""
    from service.audit.chain import SYSTEM_CHAIN, application_chain, verify_anchors, verify_chain
    from service.platform.extensions import db
    from service.audit.models import AuditEvent

    if application_id is not None:
        chains = [application_chain(application_id)]
    else:
        chains = list(db.session.scalars(select(AuditEvent.chain).distinct()))
    broken = 0
    for chain in sorted(chains):
        report = verify_chain(chain)
        if report.ok:
            click.echo(f"{chain}: {report.events} 条事件，校验通过")
        else:
            broken += 1
            click.echo(f"{chain}: 第 {report.broken_at} 条事件校验失败：{report.reason}", err=True)
    wanted = None if application_id is None else application_chain(application_id)
    for problem in verify_anchors():
        if wanted is None or problem.startswith(wanted + ":") or wanted == SYSTEM_CHAIN:
            broken += 1
            click.echo(problem, err=True)
    sys.exit(1 if broken else 0)


@cli.command("audit-anchor")
@with_appcontext
def audit_anchor_command():
    """Write today's anchor (the worker does this once a day)."""
    from service.audit.chain import write_anchor
    from service.platform.timeutil import to_shanghai, utcnow
    from service.platform.transactions import transaction

    with transaction():
        anchor = write_anchor(to_shanghai(utcnow()).date())
        click.echo(f"{anchor.day} 锚点：{len(anchor.heads)} 条链，摘要 {anchor.digest}")


@cli.command("calendar-set")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("kind", type=click.Choice(["workday", "holiday"]))
@click.option("--note", default="")
@click.option("--actor", default="admin", show_default=True)
@with_appcontext
def calendar_set_command(day, kind, note, actor):
    """Mark one day as a working day (调休上班) or a day off (法定假日)."""
    from service.platform.transactions import transaction
    from service.rounds.calendar import set_day

    with transaction():
        set_day(day.date(), is_workday=kind == "workday", note=note, actor=actor)
    click.echo(f"{day.date()} 已设为{'工作日' if kind == 'workday' else '休息日'}")


@cli.command("calendar-confirm")
@click.argument("year", type=int)
@click.option("--actor", default="admin", show_default=True)
@with_appcontext
def calendar_confirm_command(year, actor):
    """Declare a year's holidays and make-up workdays completely entered."""
    from service.platform.transactions import transaction
    from service.rounds.calendar import confirm_year

    with transaction():
        confirm_year(year, actor=actor)
    click.echo(f"{year} 年工作日历已确认")


@cli.command("bench")
@click.option("--sizes", default="10000,100000", show_default=True,
              help="申报数量，逗号分隔；1000000 宜在 PostgreSQL 上运行")
@click.option("--runs", default=200, show_default=True, help="每项测量次数（也是每个规模提交的申报数）")
@click.option("--database-url", "--database", "database_url", default=None,
              help="数据库 URL（默认临时 SQLite 文件）；会删除并重建其中全部表，库名须含 bench")
@click.option("--force", is_flag=True, help="允许库名不含 bench 的数据库（名为 test 的库始终拒绝）")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None, help="原始数据另存为 JSON")
@click.option("--quick", is_flag=True, help="冒烟运行：定时器、退回循环和 gunicorn 阶段缩小")
@click.option("--users", type=int, default=None, help="账号总数（默认 20000）")
@click.option("--timers", type=int, default=None, help="同时到期的定时器数（默认 10000，--quick 500）")
@click.option("--loops", type=int, default=None, help="退回次数（默认 300，--quick 30）")
@click.option("--starts", type=int, default=None, help="gunicorn 阶段最多开始的申报数（默认 2000，--quick 200）")
@click.option("--load-seconds", type=float, default=None, help="gunicorn 每段最长秒数（默认 20，--quick 5）")
@click.option("--timer-limit", type=float, default=None, help="定时器阶段最长秒数（默认 900，--quick 120）")
def bench_command(sizes, runs, database_url, force, json_path, quick, users, timers, loops, starts, load_seconds,
                  timer_limit):
    """Submit against its unavoidable parts, inboxes, pages, gunicorn throughput, a timer drain (README, Benchmark)."""
    from service.commands.bench import BenchRefused, run_benchmark
    from service.commands.bench_report import format_report

    try:
        report = run_benchmark(tuple(int(s) for s in sizes.split(",")), runs, database_url, force=force, quick=quick,
                               echo=click.echo, users=users, timers=timers, loops=loops, starts=starts,
                               load_seconds=load_seconds, timer_limit=timer_limit)
    except BenchRefused as err:
        click.echo(str(err), err=True)
        sys.exit(2)
    _print_report(format_report(report), report, json_path)


def _print_report(lines, report: dict, json_path: str | None) -> None:
    """A benchmark's printed lines, and its raw figures saved when asked."""
    from service.commands.bench_report import write_json

    for line in lines:
        click.echo(line)
    if json_path:
        write_json(report, json_path)
        click.echo(f"原始数据已写入 {json_path}")


@cli.command("bench-instructions")
@click.option("--runs", default=20, show_default=True, help="每项计数的次数（取平均）")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None, help="原始数据另存为 JSON")
def bench_instructions_command(runs, json_path):
    """A submit against its unavoidable parts in CPU instructions under callgrind: the same count on a busy machine."""
    from service.commands.bench_instructions import (CountFailed, ValgrindMissing, count_instructions,
                                                     format_instructions)

    try:
        report = count_instructions(runs, echo=click.echo)
    except (ValgrindMissing, CountFailed) as err:
        click.echo(str(err), err=True)
        sys.exit(2)
    _print_report(format_instructions(report), report, json_path)


if __name__ == "__main__":  # `python -m service.commands.cli`, used by tests that start real worker processes
    cli()
