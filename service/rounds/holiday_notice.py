"""Read the State Council's yearly holiday notice (国务院办公厅关于某年部分节假日安排的通知) as pasted text.

Its lines look like::

    一、元旦：1月1日（周五）放假，共1天。
    二、春节：2月15日至23日放假调休，共9天。2月14日（周六）、2月28日（周六）上班。

Each heading names a holiday; a date or a range before 放假 gives its days off, the dates before 上班 its
make-up workdays. A month left out repeats the previous date's; a year left out is the notice's year.
A weekday in brackets is checked against the date, so a notice pasted under the wrong year is caught.
Every line that cannot be read is named with its reason; nothing is guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

HEADING = re.compile(r"([一二三四五六七八九十]+)、\s*([^：:，。]{1,12})[：:]")
DATE = re.compile(r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日(?:[（(]([^）)]*)[）)])?")
RANGE_WORD = re.compile(r"^\s*(至|到|-|—|－|～|~)\s*$")
WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
WEEKDAY_IN = re.compile(r"(?:周|星期)([一二三四五六日天])")
MAX_HOLIDAY_DAYS = 15
# The notice's title and opening sentence mention 放假 but carry no days.
PREAMBLE = re.compile(r"通知|经国务院批准")


@dataclass(frozen=True)
class NoticeDay:
    day: date
    is_workday: bool
    note: str
    line: int


@dataclass(frozen=True)
class LineProblem:
    line: int
    text: str
    reason: str

    def as_dict(self) -> dict:
        return {"line": self.line, "text": self.text, "reason": self.reason}


class _Unreadable(Exception):
    pass


def _dates(text: str, year: int, month: int | None) -> list[tuple[date, re.Match]]:
    """Every date in ``text`` with its match; a missing month or year carries over from the previous one."""
    found = []
    for match in DATE.finditer(text):
        y = int(match.group(1)) if match.group(1) else year
        month = int(match.group(2)) if match.group(2) else month
        if month is None:
            raise _Unreadable(f"“{match.group(0)}”没有写月份")
        try:
            day = date(y, month, int(match.group(3)))
        except ValueError:
            raise _Unreadable(f"“{match.group(0)}”不是有效日期") from None
        weekday = WEEKDAY_IN.search(match.group(4) or "")
        if weekday and WEEKDAYS[weekday.group(1)] != day.weekday():
            raise _Unreadable(f"{day:%Y-%m-%d}不是周{weekday.group(1)}，请核对年份和日期")
        found.append((day, match))
        year = y
    return found


def _days_off(sentence: str, year: int, name: str) -> list[date]:
    head = sentence.split("放假", 1)[0]
    dates = _dates(head, year, None)
    if not dates:
        raise _Unreadable("“放假”前没有日期")
    if len(dates) == 1:
        return [dates[0][0]]
    (first, m1), (last, m2) = dates[0], dates[1]
    if len(dates) > 2 or not RANGE_WORD.match(head[m1.end():m2.start()]):
        raise _Unreadable("放假日期应写成“某月某日”或“某月某日至某日”")
    if last < first or (last - first).days >= MAX_HOLIDAY_DAYS:
        raise _Unreadable(f"{name}的放假区间 {first:%m月%d日} 至 {last:%m月%d日} 不合理")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _workdays(sentence: str, year: int) -> list[date]:
    dates = _dates(sentence.split("上班", 1)[0], year, None)
    if not dates:
        raise _Unreadable("“上班”前没有日期")
    return [day for day, _ in dates]


def _read_part(name: str, body: str, year: int, line: int) -> list[NoticeDay]:
    days = []
    for sentence in re.split(r"[。；;]", body):
        if "放假" in sentence:
            days += [NoticeDay(d, False, name, line) for d in _days_off(sentence, year, name)]
        elif "上班" in sentence:
            days += [NoticeDay(d, True, f"{name}调休上班", line) for d in _workdays(sentence, year)]
        elif DATE.search(sentence):
            raise _Unreadable(f"“{sentence.strip()}”有日期，但既不是放假也不是上班")
    if not days:
        raise _Unreadable(f"“{name}”没有读出放假日期")
    return days


def parse_notice(text: str, year: int) -> tuple[list[NoticeDay], list[LineProblem]]:
    """The days off and make-up workdays the pasted notice gives for ``year``, and each unreadable line."""
    days: list[NoticeDay] = []
    problems: list[LineProblem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        headings = list(HEADING.finditer(line))
        if not headings:
            if (DATE.search(line) or "放假" in line or "上班" in line) and not PREAMBLE.search(line):
                problems.append(LineProblem(number, line, "没有“一、元旦：”这样的节日名称"))
            continue
        for n, heading in enumerate(headings):
            end = headings[n + 1].start() if n + 1 < len(headings) else len(line)
            try:
                days += _read_part(heading.group(2).strip(), line[heading.end():end], year, number)
            except _Unreadable as err:
                problems.append(LineProblem(number, line, str(err)))
    seen: dict[date, NoticeDay] = {}
    for item in days:
        other = seen.setdefault(item.day, item)
        if other.is_workday != item.is_workday:
            problems.append(LineProblem(item.line, text.splitlines()[item.line - 1].strip(),
                                        f"{item.day:%Y-%m-%d}既是放假日又是上班日"))
    if not days and not problems:
        problems.append(LineProblem(0, "", "没有读出任何日期：请粘贴通知中“一、元旦：……”这样的各行"))
    return sorted(seen.values(), key=lambda d: d.day), problems
