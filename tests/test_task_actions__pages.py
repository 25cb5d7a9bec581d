"""The task actions through the pages (a browser without JavaScript posts the forms straight away): each
block appears to those who may use it, does what it says and reports refusals in Chinese."""
from sqlalchemy import select

from service.applications.models import WorkItem
from service.platform.extensions import db
from tests.api import ApiScenario, ok
from tests.pages import text
from tests.test_task_actions__api import people, snapshot, task_of  # noqa: F401  (the fixture)


def test_hand_over_from_the_task_page(api, visitor, people):
    s = ApiScenario(api).start().declare()
    task_id = task_of(api, "changchun", s.application_id)["task_id"]
    person = visitor("changchun")
    page = text(person.get(f"/tasks/{task_id}"))
    assert "转办" in page and "长春市工信局二科" in page and "转办原因" in page
    assert "确认转办" in page  # the confirmation names the consequence
    assert "长春市工信局二科" not in text(person.get(f"/tasks/{task_id}?colleague=吉林"))
    refused = person.post(f"/tasks/{task_id}/hand-over", {"to": str(people["changchun2"]), "reason": ""})
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/tasks/{task_id}#actions")
    assert "请填写转办原因" in text(person.get(f"/tasks/{task_id}"))
    done = person.post(f"/tasks/{task_id}/hand-over", {"to": str(people["changchun2"]), "reason": "出差"})
    assert done.status_code == 302
    assert "已转办" in text(person.get(done.headers["Location"]))
    assert db.session.scalar(select(WorkItem.claimed_by).where(WorkItem.task_id == task_id)) == people["changchun2"]
    # Not the applicant's to hand over: no block on a page they may read.
    assert "转办给" not in text(visitor("province").get(f"/tasks/{task_id}"))


def test_take_back_and_withdraw_from_the_application_page(api, visitor, people):
    s = ApiScenario(api).start().declare()
    applicant = visitor("factory1")
    page = text(applicant.get(f"/applications/{s.application_id}"))
    assert "撤回" in page and "放弃申报" in page and "撤回原因" in page
    assert "下一环节的待办将被撤销" in page and "不能恢复" in page
    done = applicant.post(f"/applications/{s.application_id}/take-back", {"reason": "补充材料"})
    assert done.status_code == 302 and "/tasks/" in done.headers["Location"]
    page = text(applicant.get(done.headers["Location"]))
    assert "已撤回" in page and "草稿" in page
    ApiScenario.submit(s, "factory1", ok(api.get(f"/api/tasks/{task_of(api, 'factory1', s.application_id)['task_id']}",
                                                 "factory1"))["data"])
    task_id = task_of(api, "changchun", s.application_id)["task_id"]
    ok(api.post(f"/api/tasks/{task_id}/claim", "changchun"))
    page = text(applicant.get(f"/applications/{s.application_id}"))
    assert "不能撤回" in page and "认领" in page
    before = snapshot(s.application_id)
    refused = applicant.post(f"/applications/{s.application_id}/take-back", {"reason": "再改"})
    assert refused.status_code == 302
    assert "不能撤回" in text(applicant.get(refused.headers["Location"]))
    assert snapshot(s.application_id) == before

    done = applicant.post(f"/applications/{s.application_id}/withdraw", {"reason": "本年度不再申报"})
    assert done.status_code == 302
    page = text(applicant.get(done.headers["Location"]))
    assert "已放弃申报" in page and "放弃申报" in page
    assert "放弃申报" in text(applicant.get("/my"))
    assert "放弃申报" in text(visitor("province").get("/applications"))


def test_urge_marks_the_owners_inbox(api, visitor, people):
    s = ApiScenario(api).start().declare()
    province = visitor("province")
    page = text(province.get(f"/applications/{s.application_id}"))
    assert "催办" in page and "市州初审推荐" in page
    task_id = task_of(api, "changchun", s.application_id)["task_id"]
    done = province.post(f"/tasks/{task_id}/urge", {"note": "请尽快", "next": f"/applications/{s.application_id}"})
    assert done.status_code == 302
    assert "已催办" in text(province.get(done.headers["Location"]))
    inbox = text(visitor("changchun").get("/inbox"))
    assert "已催办" in inbox and "省工信厅资源节约与综合利用处" in inbox
    again = province.post(f"/tasks/{task_id}/urge", {"next": f"/applications/{s.application_id}"})
    assert "每天最多催办一次" in text(province.get(again.headers["Location"]))


def test_copy_and_the_copied_to_me_list(api, visitor, people):
    s = ApiScenario(api).start().declare()
    leader = visitor("leader")
    assert leader.get(f"/applications/{s.application_id}").status_code == 404
    city = visitor("changchun")
    page = text(city.get(f"/applications/{s.application_id}"))
    assert "抄送" in page and "长春市分管领导" in page
    done = city.post(f"/applications/{s.application_id}/copies", {"to": str(people["leader"]), "note": "请阅"})
    assert "已抄送给 长春市分管领导" in text(city.get(done.headers["Location"]))
    listed = text(leader.get("/copied"))
    assert "抄送我的" in listed and "长春示范汽车零部件有限公司" in listed and "请阅" in listed
    page = text(leader.get(f"/applications/{s.application_id}"))
    assert "长春示范汽车零部件有限公司" in page and "办理操作" not in page  # read only: no actions
