"""A re-review after a send-back: the city's form does not come back with its earlier decision and comment
(the verification it recorded does), and the page shows what the unit changed since its last submission,
field by field with the form's labels (old → new). The first review shows no such list."""
from __future__ import annotations

import re

from service.versions.samples import sample_declaration
from tests.api import ApiScenario, ok
from tests.pages import text


def _review_page(scenario, visitor):
    task_id = scenario.open_task(scenario.reviewer)
    return task_id, text(visitor("changchun").get(f"/tasks/{task_id}"))


def test_rereview_starts_without_the_earlier_decision_and_lists_the_changes(api, visitor):
    scenario = ApiScenario(api).start().declare()
    task_id, html = _review_page(scenario, visitor)
    assert 'id="resubmitted-changes"' not in html  # the first submission: nothing to compare

    scenario.submit(scenario.reviewer, {**scenario.verification(()), "decision": "send_back",
                                        "comments": "请补充盖章页"})
    scenario.declare(changes={"highlights": "余热回收，已补充盖章页"})

    task_id = scenario.open_task(scenario.reviewer)
    page = ok(api.get(f"/api/tasks/{task_id}", "changchun"))
    assert page["data_source"] == "previous"
    assert "市州不予推荐" in page["confirm"]["values"]["reject"] and "recommend" not in page["confirm"]["values"]
    assert "decision" not in page["data"] and "comments" not in page["data"]
    assert page["data"]["verified_exc_dishonest"] == "no"  # the verification comes back

    html = text(visitor("changchun").get(f"/tasks/{task_id}"))
    box = html[html.index('id="resubmitted-changes"'):]
    box = box[:box.index("</div>")]
    assert "修改了 1 项" in box
    row = re.search(r'<tr data-key="highlights">(.*?)</tr>', box, re.S).group(1)
    assert "主要亮点" in row and "余热回收，已补充盖章页" in row
    assert sample_declaration("factory")["highlights"] in row  # the old text beside the new
    assert "结论和意见请重新填写" in html
