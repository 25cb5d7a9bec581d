"""No English and no internal ids on any page: a whole round is run to its end (a send-back, a site inspection,
an objection, the public notice, the published list and the register), then every page each user can open
in it — found by following the links of each page from the home page, plus the pages only a search or a
deep link reaches — is read as its reader sees it (no markup, scripts or styles) and must hold no word in
Latin letters outside the places listed in ALLOWED, each with the reason it is legitimate there."""
from __future__ import annotations

import html
import json
import re
from collections import Counter, deque
from datetime import datetime, timezone

from sqlalchemy import select

from service.applications.models import WorkItem
from service.audit.models import AuditEvent
from service.commands.demo import ensure_user
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.register.models import RegisterEntry
from service.versions.models import ProcessDraft
from tests.api import ApiScenario, first_version_id, ok
from tests.pages import text

NOTICE_OVER = datetime(2024, 5, 20, tzinfo=timezone.utc)  # the 5-day notice is over, the cities' deadline is not
READERS = ("factory1", "park1", "changchun", "jilin", "province", "expert1", "expert2", "auditor", "admin", None)
SAME_SHAPE = 4  # links followed to pages of one shape (/admin/calendar/#): one template, other rows
MAX_PAGES = 200  # per reader: the round has a handful of applications; a runaway crawl is a bug of its own

# Text a reader may legitimately see in Latin letters, each with why it is not English or an internal id.
ALLOWED = [
    # A business number (year-category-city-serial) is what staff quote on the phone and search by.
    r"\b\d{4}-[A-Z]{2,4}-\d{6}-\d{4}\b",
    # The unified social credit code (GB 32100) is printed on every licence in these letters.
    r"\b[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}\b",
    # A file keeps the name its uploader gave it, extension included (city_review.form.json: dots inside too).
    r"[\w\u4e00-\u9fff（）()\-]+(?:\.[\w\-]+)*\.(?:pdf|xlsx|xls|docx|doc|png|jpg|jpeg|bpmn|dmn|json|zip)\b",
    # A file type told by its extension, as the reader's own computer shows it (.xlsx, .docx, .bpmn).
    r"(?<![\w.])\.?(?:pdf|xlsx|docx|zip|bpmn|dmn|json)\b",
    # PDF: the notice itself asks for PDF scans; every Chinese government portal names the format so.
    r"\bPDF\b",
    # People's and units' e-mail addresses are contact data, written as they are.
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    # The process files an administrator edits are named by their paths in the bundle (processes/settings.json).
    r"\b(?:processes|forms)/[\w./-]+",
    # A content digest shown for checking a file or the audit chain (hexadecimal, not a word).
    r"\b(?=[0-9a-f]*\d)[0-9a-f]{8,64}\b",
    # SHA-256 is the algorithm's standard designation (GB/T 32905 names the Chinese SM3 likewise by letters).
    r"\bSHA-256\b",
    # Standards by their official designations: GB/T 4754 (industries), GB 32100 (credit codes).
    r"\bGB(?:/T)?\s*\d+(?:\.\d+)?\b",
    # An industry code of GB/T 4754 (section letter and digits, e.g. C3670), as the unit declared it.
    r"\b[A-T]\d{2,4}\b",
    # Legal units of measurement (GB 3100): tonnes of standard coal, kilograms, cubic metres; file sizes.
    r"(?<![A-Za-z])(?:tce|kg|m[²³]|kWh|MB|KB)(?![A-Za-z])",
    # The courier named in the city's parcel note: what a person typed.
    r"\bEMS\b",
]
ALLOWED_PATTERN = re.compile("|".join(f"(?:{pattern})" for pattern in ALLOWED))
# What a reader types exactly as shown, and therefore sees as it is: a login name (the account pages, a unit's
# colleagues, one's own profile), a role's key (typed into diagrams' lanes and API calls), the syntax of a
# process file the administrator edits. Those elements carry class="literal".
LITERAL = re.compile(r'(?s)<(td|span|code|small|a)\b[^>]*class="[^"]*\bliteral\b[^"]*"[^>]*>.*?</\1>')
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_:.\-]*")


def visible_text(page: str) -> str:
    """What a reader sees: no scripts, styles, templates or markup (attribute values go with the tags)."""
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    page = re.sub(r"(?s)<(script|style|template)\b.*?</\1>", " ", page)
    page = LITERAL.sub(" ", page)
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", page))


def latin_words(page: str) -> list[str]:
    return LATIN_WORD.findall(ALLOWED_PATTERN.sub(" ", visible_text(page)))


def links(page: str) -> list[str]:
    """The site's own pages a reader can click to from here (no downloads, no API, no assets)."""
    found = []
    for href in re.findall(r'href="(/[^"#]*)', page):
        href = html.unescape(href)
        if href.startswith(("/api/", "/static/", "/vendor/")) or re.search(r"\.(xlsx|pdf|svg|css|js)(\?|$)", href) \
                or "/documents/" in href:
            continue
        found.append(href)
    return found


def unit(api, login: str, name: str) -> ApiScenario:
    """One more applicant unit in Changchun, so the round has a task open at each reviewer's step."""
    with transaction():
        ensure_user(username=login, display_name=name, roles=["applicant"], city_code="220100", unit_name=name)
    scenario = ApiScenario(api)
    scenario.applicant = login
    return scenario


def finished_round(api, clock) -> dict:
    """A round run to its end: one unit sent back, re-declared, inspected on site, objected to and listed;
    a unit sent back and declaring again; one waiting for the experts, one for its city (urged by the
    province), one for the province's formal review; a deadline extended, a calendar day entered, a process draft begun."""
    listed = ApiScenario(api).start()
    ok(api.call("PATCH", f"/api/rounds/{listed.round_id}", "province",
                json={"city_deadline": "2024-06-20", "reason": "市州申请延期"}))
    listed.declare().city_review("send_back")
    listed.declare().city_review("recommend").formal_review(site=True).expert_reviews(site=True) \
        .site_inspection("pass").batch("start-notice").objection().handle_objection("dismissed")
    sent_back = ApiScenario(api, "park").start().declare().city_review("send_back")
    with_experts = ApiScenario(api, "supply_chain").start().declare().city_review("recommend").formal_review()
    at_province = unit(api, "factory3", "长春第三示范制造有限公司").start().declare().city_review("recommend") \
        .seal_city_package()
    at_city = unit(api, "factory2", "长春第二示范制造有限公司").start().declare()
    ok(api.post(f"/api/tasks/{at_city.open_task('changchun')}/urge", "province", json={"note": "请于本周内完成初审"}))
    ok(api.post("/api/calendar/2024/days", "admin", json={"day": "2024-09-29", "is_workday": True,
                                                           "note": "国庆调休"}))
    ok(api.post("/api/process-drafts", "admin", json={"from_version": first_version_id(), "name": "2025年度流程"}), 201)
    clock.set(NOTICE_OVER)
    listed.run_worker()
    listed.batch("publish")
    assert listed.outcome() == "列入名单" and at_city.detail()["outcome"] is None
    return {"round": listed.round_id, "applications": [s.application_id for s in (
        listed, sent_back, with_experts, at_city, at_province)]}


def deep_links(facts: dict) -> list[str]:
    """Pages a reader reaches by a search, a notification or a typed address rather than a link here: each
    application, its printable record and each task it went through, the register entries, the draft."""
    round_id, applications = facts["round"], facts["applications"]
    done = db.session.scalars(select(AuditEvent.data).where(AuditEvent.application_id.in_(applications),
                                                            AuditEvent.action == "task_completed"))
    open_ = db.session.scalars(select(WorkItem.task_id).where(WorkItem.application_id.in_(applications)))
    task_ids = sorted({json.loads(data)["task_id"] for data in done} | set(open_))
    entries = db.session.scalars(select(RegisterEntry.id)).all()
    drafts = db.session.scalars(select(ProcessDraft.id)).all()
    return ["/", "/inbox", "/done", "/copied", "/my", "/my-organisation", "/messages", "/account", "/applications",
            *(f"/applications/{a}" for a in applications), *(f"/applications/{a}/audit" for a in applications),
            *(f"/tasks/{t}" for t in task_ids), "/rounds", f"/rounds/{round_id}", f"/rounds/{round_id}/statistics",
            f"/rounds/{round_id}/packages", f"/rounds/{round_id}/cities/220100/package",
            f"/rounds/{round_id}/cities/220200/package", "/list-register",
            *(f"/list-register/{e}" for e in entries), f"/lists/{round_id}/notice", f"/lists/{round_id}/published",
            "/lists/register", "/admin/versions", f"/admin/versions/{first_version_id()}",
            *(f"/admin/drafts/{d}" for d in drafts), "/admin/calendar/2024", "/admin/accounts", "/admin/roles",
            "/registrations", "/registrations?status=confirmed"]


def crawl(person, start: list[str]) -> dict[str, str]:
    """Every page ``person`` can open from ``start`` by following links: path → its HTML. A page refused to
    this reader is read too (its error page says why, and must say it in Chinese) but leads nowhere; a
    server error fails at once."""
    seen, pages, queue, shapes = set(start), {}, deque(start), Counter()
    while queue and len(pages) < MAX_PAGES:
        path = queue.popleft()
        response = person.get(path)
        assert response.status_code < 500, (path, response.status_code)
        if response.status_code in (301, 302, 303) or not response.content_type.startswith("text/html"):
            continue
        pages[path] = text(response)
        if response.status_code != 200:
            continue
        for link in links(pages[path]):
            # The same page of another year, city or account, or with other filters: one template, other rows.
            shape = re.sub(r"\d+", "#", link.split("?")[0])
            if link not in seen and shapes[shape] < SAME_SHAPE:
                seen.add(link)
                shapes[shape] += 1
                queue.append(link)
    return pages


def test_no_page_of_a_finished_round_shows_a_latin_word_outside_its_allowed_places(api, clock, visitor):
    start = deep_links(finished_round(api, clock))
    found, opened = [], {}
    for reader in READERS:
        pages = crawl(visitor(reader), start if reader else [p for p in start if p.startswith("/lists/")])
        opened[reader] = sorted(pages)
        found += [f"{reader or '公众'} {path}: {word}" for path, page in pages.items() for word in latin_words(page)]
    # Each reader really went through the round: the staff's task pages, the admin's pages, the public lists.
    for reader in ("province", "auditor", "admin"):
        assert len([p for p in opened[reader] if p.startswith("/tasks/")]) >= 5, (reader, opened[reader])
    assert {"/admin/versions", "/admin/calendar/2024", "/admin/accounts", "/registrations"} <= set(opened["admin"])
    assert len(opened[None]) == 3 and all(len(opened[r]) > 15 for r in READERS if r), opened
    assert sorted(set(found)) == []
