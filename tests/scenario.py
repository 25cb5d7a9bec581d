"""Drive one application through the round the way its users would, reloading from the database each step."""
from __future__ import annotations

import json
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from service.applications.attachments import UploadLimits, store_attachment
from service.engine.clock import current_clock
from service.platform.timeutil import to_shanghai
from service.versions.samples import SAMPLE_PDF, sample_verification

from service.audit import chain as audit
from service.applications.commands import claim_task, complete_task, start_application
from service.applications.batch import batch_action, record_objection
from service.platform.transactions import transaction
from service.versions.samples import sample_declaration
from service.commands.sample_reports import attach_sample_reports, required_kinds
from service.platform.extensions import db
from service.applications.models import Application, Attachment, WorkItem
from service.platform.errors import Forbidden, NotFound
from service.accounts.models import User
from service.commands.worker import run_due_timers


def fresh(model, ident):
    """Forget everything the session holds, so the next step reads what was committed."""
    db.session.remove()
    return db.session.get(model, ident)


class Scenario:
    def __init__(self, users, round_id, clock):
        self.users, self.round_id, self.clock = users, round_id, clock
        self.application_id = None
        self.reviewer = "changchun"

    def user(self, name) -> User:
        return fresh(User, self.users[name])

    @property
    def application(self) -> Application:
        return fresh(Application, self.application_id)

    def start(self, category="factory", applicant="applicant"):
        with transaction():
            application = start_application(round_id=self.round_id, category=category, user=self.user(applicant))
            self.application_id = application.id
        return self

    def items(self) -> list[WorkItem]:
        db.session.remove()
        return list(db.session.scalars(select(WorkItem).where(WorkItem.application_id == self.application_id)
                                       .order_by(WorkItem.id)))

    def item(self, bpmn_id=None, assignee=None) -> WorkItem:
        matches = [i for i in self.items() if (bpmn_id is None or i.bpmn_id == bpmn_id)
                   and (assignee is None or i.assignee == assignee)]
        assert len(matches) == 1, f"expected one open task {bpmn_id}, found {[i.bpmn_id for i in self.items()]}"
        return matches[0]

    def complete(self, who, data, bpmn_id=None, assignee=None, claim=False, reports=True):
        item = self.item(bpmn_id, assignee)
        if reports and item.role == "applicant" and isinstance(data, dict):
            self.attach_reports(data, who)  # a declaration goes in with the reports it needs
        if claim:
            with transaction():
                claim_task(application_id=self.application_id, task_id=item.task_id, user=self.user(who))
        with transaction():
            complete_task(application_id=self.application_id, task_id=item.task_id, data=data, user=self.user(who),
                          expected_version=self.application.version)
        return self

    # -- the steps of the round ------------------------------------------------------
    def declare(self, category="factory", exclusions=(), who="applicant", changes=None):
        """The sample declaration of ``category``, with ``changes`` (field → answer) typed over it."""
        unit = self.user(who).unit_name  # each unit declares under its own name
        data = {**sample_declaration(category, unit_name=unit, exclusions=exclusions), **(changes or {})}
        return self.complete(who, data, bpmn_id=f"Task_declare_{category}")

    def attach_reports(self, declaration, who="applicant"):
        """The evaluation reports the declaration needs (materials.json), uploaded as the unit would."""
        if required_kinds(self.application, declaration):  # nothing to load when they are there already
            with transaction():
                attach_sample_reports(user=self.user(who), application_id=self.application_id,
                                      declaration=declaration)
        return self

    def upload(self, who, kind, name="查询结果.pdf", content=SAMPLE_PDF) -> int:
        """A PDF attached to the application by ``who``, as the task page's upload does."""
        folder = Path(current_app.config.get("GREENLIST_ATTACHMENTS_DIR") or
                      Path(current_app.instance_path) / "attachments")
        with transaction():
            return store_attachment(user=self.user(who), application_id=self.application_id, kind=kind,
                                    filename=name, content=content, folder=folder,
                                    limits=UploadLimits.from_config(current_app.config)).id

    def verification(self, who="changchun", found=()) -> dict:
        """The city's verification with one evidence PDF and one departments' reply PDF: those uploaded at an
        earlier review of this application again (a send-back loop), else uploaded now by ``who`` (by the
        province when ``who`` may not, so a test of a refused reviewer sees the review's own refusal)."""
        earlier = dict(db.session.execute(select(Attachment.kind, func.max(Attachment.id)).where(
            Attachment.application_id == self.application_id,
            Attachment.kind.in_(("verification_evidence", "department_reply"))).group_by(Attachment.kind)).all())
        db.session.remove()
        try:
            evidence = earlier.get("verification_evidence") or self.upload(who, "verification_evidence",
                                                                           "信用中国查询结果.pdf")
            reply = earlier.get("department_reply") or self.upload(who, "department_reply", "部门回函.pdf")
        except (NotFound, Forbidden):
            return self.verification("staff", found)
        today = to_shanghai(current_clock().now()).date().isoformat()
        return sample_verification(evidence, reply, queried_on=today, found=found)

    def city_review(self, decision, who="changchun", found=(), **extra):
        data = {**self.verification(who, found), "consult_ecology": "无环境违法记录", "consult_emergency": "无安全事故",
                "consult_market": "经营正常", "decision": decision, **extra}
        if decision == "recommend":
            data.setdefault("recommend_opinion", "经核查，同意推荐")
        else:
            data.setdefault("comments", "请补充能耗数据" if decision == "send_back" else "不符合推荐条件")
        self.reviewer = who
        return self.complete(who, data, bpmn_id="Task_city_review")

    def waits_for_city_package(self) -> bool:
        from service.applications.batch import waits_for
        return waits_for(self.application, "city_package")

    def seal_city_package(self, who=None):
        """The city's package step for everything its city recommended so far: rank in order of arrival,
        freeze the 推荐汇总表, upload the two sealed PDFs, send; the province registers receipt (which
        releases the applications into the formal review)."""
        from service.platform.storage import files_folder
        from service.rounds import packages

        city_code, folder = self.application.city_code, files_folder()
        with transaction():
            waiting = packages.pending(self.round_id, city_code)
            ranks, seen = [], {}
            for application in waiting:
                seen[application.category] = seen.get(application.category, 0) + 1
                ranks.append({"application_id": application.id, "rank": seen[application.category]})
            package = packages.freeze(user=self.user(who or self.reviewer), round_id=self.round_id,
                                      city_code=city_code, ranks=ranks, filler_name="王填报",
                                      filler_phone="0431-88886666", folder=folder)
            package_id = package.id
        for kind in packages.FILES:
            with transaction():
                packages.upload(user=self.user(who or self.reviewer), package_id=package_id, kind=kind,
                                filename=f"{kind}.pdf", content=b"%PDF-1.4 sealed", folder=folder)
        with transaction():
            packages.confirm_sent(user=self.user(who or self.reviewer), package_id=package_id, note="EMS 1234")
        with transaction():
            packages.register_receipt(user=self.user("staff"), package_id=package_id)
        self.package_id = package_id
        return self

    def formal_review(self, decision="accept", experts=("expert1", "expert2"), site=False):
        # The drivers' formal review first passes the city package step if the application still waits for
        # it, so whole-round tests written before that step keep reading as they did.
        if self.waits_for_city_package():
            self.seal_city_package()
        data = {"materials_complete": True, "decision": decision, "require_site_inspection": site}
        if decision == "accept":
            data["experts"] = [str(self.users[e]) for e in experts]
            data["panel_reason"] = "熟悉该行业的专家，人工指定"
        else:
            data["comments"] = "材料不全"
        return self.complete("staff", data, bpmn_id="Task_formal_review", claim=True)

    def expert_review(self, expert, score, site=False):
        return self.complete(expert, {"score": score, "site_inspection": site, "opinion": "评审意见"},
                             bpmn_id="Task_expert_review", assignee=str(self.users[expert]))

    def site_inspection(self, decision):
        return self.complete("staff", {"inspected_on": "2024-07-01", "inspectors": "王工、李工",
                                       "findings": "现场情况与申报一致" if decision == "pass" else "与申报不符",
                                       "decision": decision}, bpmn_id="Task_site_inspection")

    def batch(self, message):
        with transaction():
            batch_action(message=message, round_id=self.round_id, application_ids=[self.application_id],
                         user=self.user("staff"))
        return self

    def objection(self):
        with transaction():
            record_objection(application_id=self.application_id, user=self.user("staff"),
                             data={"real_name": "陈某", "contact": "13900000000", "unit": "某公司",
                                   "content": "该单位去年发生环境污染事故", "evidence": "处罚决定书编号"})
        return self

    def handle_objection(self, decision):
        return self.complete("staff", {"investigation": "已核实", "decision": decision, "reply": "已答复"},
                             bpmn_id="Task_objection")

    def run_worker(self):
        db.session.remove()
        moved = run_due_timers()
        db.session.remove()
        return moved

    # -- what the trail says ----------------------------------------------------------
    def trail(self):
        db.session.remove()
        return [(e.action, e.element_id) for e in audit.trail(audit.application_chain(self.application_id))]

    def trail_events(self):
        db.session.remove()
        events = audit.trail(audit.application_chain(self.application_id))
        for event in events:
            event.payload = json.loads(event.data)
        return events

    def chain_ok(self):
        db.session.remove()
        return audit.verify_chain(audit.application_chain(self.application_id)).ok
