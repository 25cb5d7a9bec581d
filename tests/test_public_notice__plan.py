"""The public notice (公示) and the published list are read without logging in. A round has a hundred thousand
applications with a score of events each: their batches are found through the batch events' partial index
(ix_audit_event_batch, migration 0045), not by reading every event of the round, on SQLite and on PostgreSQL alike."""
from service.rounds.models import Round
from service.rounds.notice import notice_batches, round_batch_events
from service.platform.extensions import db
from tests.plans import plan, scans
from tests.test_register__public_pages import through_notice


def test_the_round_batches_are_read_through_their_partial_index(users, round_, clock):
    found = plan(round_batch_events(round_)) + "\n" + plan(round_batch_events(round_, city="220100"))
    assert "ix_audit_event_batch" in found and not scans(found, "audit_event")


def test_the_notice_still_lists_the_units_noticed(users, round_, clock):
    application_id = through_notice(users, round_, clock, "applicant", "changchun").application_id
    batches = notice_batches(db.session.get(Round, round_))
    assert [[unit.application_id for unit in batch.units] for batch in batches] == [[application_id]]
