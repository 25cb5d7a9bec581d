"""An application sent back hundreds of times keeps working, and its state does not keep growing."""
from service.engine.history import COMPACT_ABOVE
from tests.scenario import Scenario


def test_three_hundred_send_backs_then_a_recommendation_reaches_formal_review(users, round_, clock):
    s = Scenario(users, round_, clock).start()
    sizes = []
    for loop in range(300):
        s.declare()
        s.city_review("send_back", comments=f"第 {loop + 1} 次退回")
        sizes.append(len(s.application.state))
    s.declare()
    s.city_review("recommend").seal_city_package()
    assert s.item().bpmn_id == "Task_formal_review"
    # The tree is compacted once its history is long: the state at loop 300 is no larger than
    # it was around the first compaction, instead of twenty times loop 1.
    assert max(sizes[COMPACT_ABOVE:]) <= 1.2 * max(sizes[:COMPACT_ABOVE])
    trail = [e for e in s.trail() if e[0] == "task_completed"]
    assert len(trail) == 602  # every pass is still in the audit trail
    assert s.chain_ok()
