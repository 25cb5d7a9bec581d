"""The benchmark's report: one table per size, one line per single-run phase, and the raw figures as JSON."""
from __future__ import annotations

import json
import unicodedata


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _ms(value) -> str:
    return "—" if value is None else f"{value:.2f} ms"


def _seconds(value) -> str:
    return "未完成" if value is None else f"{value:.1f} 秒"


LABEL = 40
COLUMN = 22


def _size_rows(sizes: dict) -> list[tuple[str, callable]]:
    return [
        ("1 提交（市州初审，HTTP）中位数", lambda s: _ms(s["submit"]["median_ms"])),
        ("  提交 p99", lambda s: _ms(s["submit"]["p99_ms"])),
        ("  (a) 引擎：载入+办理+引擎步骤+序列化", lambda s: _ms(s["unavoidable"]["engine_ms"])),
        ("  (b) 提交状态：UPDATE+COMMIT", lambda s: _ms(s["unavoidable"]["commit_ms"])),
        ("  (c) 空请求 GET /healthz", lambda s: _ms(s["unavoidable"]["healthz_ms"])),
        ("  提交 ÷ (a+b+c)", lambda s: f"{s['submit_ratio']:.2f} 倍"),
        ("2 每次提交的 SQL 语句（中位数/最多）", lambda s: f"{s['submit']['sql']['median']:g} / {s['submit']['sql']['max']}"),
        ("5 待办首页+总数，市州（中位数/p99）",
         lambda s: f"{s['inbox_city']['median_ms']:.1f} / {s['inbox_city']['p99_ms']:.1f} ms"),
        ("  市州待办总数", lambda s: f"{s['inbox_city']['total']:,}"),
        ("  待办首页+总数，省厅（中位数/p99）",
         lambda s: f"{s['inbox_province']['median_ms']:.1f} / {s['inbox_province']['p99_ms']:.1f} ms"),
        ("  省厅待办总数", lambda s: f"{s['inbox_province']['total']:,}"),
        ("6 任务页 GET /api/tasks/<id> 中位数", lambda s: _ms(s["task_page"]["median_ms"])),
        ("  任务页 SQL 语句 / 其中读 bundle", lambda s: f"{s['task_page']['sql']:g} / {s['task_page']['bundle_reads']:g}"),
        ("  申报页 GET /api/applications/<id> 中位数", lambda s: _ms(s["application_page"]["median_ms"])),
        ("  申报页 SQL 语句 / 其中读 bundle",
         lambda s: f"{s['application_page']['sql']:g} / {s['application_page']['bundle_reads']:g}"),
    ]


def _load_line(name: str, run: dict) -> str:
    errors = "、".join(f"{key} ×{n}" for key, n in run["errors"].items()) or "无"
    return (f"  {name}：{run['ok']:,} 次 / {run['seconds']:.1f} 秒 = {run['per_second']:.1f} 次/秒，"
            f"p50 {run['median_ms']:.1f} ms，p99 {run['p99_ms']:.1f} ms，失败 {errors}")


def format_report(report: dict) -> list[str]:
    sizes = report["sizes"]
    columns = list(sizes)
    last = sizes[columns[-1]]
    lines = [f"greenlist bench：{report['dialect']}（{report['database']}），{last['users']:,} 个账号，"
             f"每项 {report['runs']} 次，{report['cpus']} 核，{report['started_at']}",
             _pad("申报数", LABEL) + "".join(f"{int(size):>{COLUMN},}" for size in columns)]
    for label, figure in _size_rows(sizes):
        lines.append(_pad(label, LABEL) + "".join(" " * (COLUMN - _width(figure(sizes[c]))) + figure(sizes[c])
                                                  for c in columns))
    few = report["submit_few_users"]
    first = sizes[columns[0]]
    lines.append(f"3 提交中位数：{few['users']} 个账号时 {_ms(few['median_ms'])}（SQL {few['sql']['median']:g} 条，"
                 f"a+b+c {_ms(few['unavoidable']['sum_ms'])}），{first['users']:,} 个账号时 "
                 f"{_ms(first['submit']['median_ms'])}（同为 {first['applications']:,} 个申报），比值 "
                 f"{report['users_ratio']:.2f}；各除以当时的 a+b+c 后比值 {report['users_ratio_normalised']:.2f}")
    load = report["gunicorn"]
    lines.append(f"4 gunicorn {load['workers']} 个进程，{load['threads']} 个客户端线程，每段最多 "
                 f"{report['options']['starts']:,} 次或 {load['seconds_limit']:.0f} 秒"
                 f"（服务端异常 {load['server_tracebacks']} 次）：")
    lines.append(_load_line("开始申报（各用一个尚未申报的单位账号，批次内已有全部申报）", load["starts"]))
    lines.append(_load_line("提交这些申报书", load["submits"]))
    timers = report["timers"]
    lines.append(f"7 同时到期的定时器 {timers['timers']:,} 个，{timers['workers']} 个 worker："
                 f"全部触发 {_seconds(timers['seconds_to_fire'])}"
                 + (f"（{timers['fired_per_second']:.1f} 个/秒）" if timers["fired_per_second"] else "")
                 + f"，触发 {timers['fired']:,} 次，每个恰好一次：{'是' if timers['exactly_once'] else '否'}；"
                 f"其通知 {timers['notifications']:,} 条全部发出 {_seconds(timers['seconds_to_send'])}"
                 + ("" if timers["complete"] else f"（{timers['limit_seconds']:.0f} 秒内未完成：仍到期 "
                    f"{timers['still_due']:,}，未发通知 {timers['notifications_unsent']:,}）"))
    loop = report["loop"]
    lines.append(f"8 退回循环：第 0 次附近提交中位数 {_ms(loop['at_start']['median_ms'])}（状态 "
                 f"{loop['at_start']['state_bytes']:,} 字节），第 {loop['loops']} 次附近 {_ms(loop['at_end']['median_ms'])}"
                 f"（状态 {loop['at_end']['state_bytes']:,} 字节），比值 {loop['ratio']:.2f}")
    lines.append(f"总用时 {report['seconds']:.0f} 秒；本机 1 分钟负载 开始时 {report['load_average_before']:.2f}，"
                 f"结束时 {report['load_average_after']:.2f}（{report['cpus']} 核；其他进程的负载会拉长所有数字）")
    return lines


def write_json(report: dict, path: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        json.dump(report, out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
