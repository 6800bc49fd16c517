"""The audit chain: every event links to the one before it, and tampering shows."""

from apps.audit import chain, verification
from apps.audit.models import AuditEvent


def test_events_form_an_intact_chain(chain_of_five):
    report = verification.chain_verify()
    assert report.ok
    assert report.checked == 5
    assert report.last_seq == 5
    assert report.last_hash == chain_of_five[-1].hash


def test_an_edited_event_is_reported_by_seq(chain_of_five, tamper):
    with tamper():
        AuditEvent.objects.filter(seq=3).update(after={"state": "blocked"})
    report = verification.chain_verify()
    assert not report.ok
    assert report.broken_seq == 3
    assert report.problem == "content does not match its hash"
    assert report.checked == 2


def test_a_removed_event_is_reported_as_a_gap(chain_of_five, tamper):
    with tamper():
        AuditEvent.objects.filter(seq=2).delete()
    report = verification.chain_verify()
    assert not report.ok
    assert report.broken_seq == 3
    assert report.problem == "sequence jumps from 1 to 3"


def test_a_removed_tail_is_caught_by_the_head_row(chain_of_five, tamper):
    with tamper():
        AuditEvent.objects.filter(seq__gte=4).delete()
    report = verification.chain_verify()
    assert not report.ok
    assert report.broken_seq == 4
    assert "the head row says the chain reaches #5" in report.problem


def test_a_forged_row_inserted_out_of_order_is_reported(chain_of_five):
    # The forger computes a valid hash, but links it to event #3, not #5.
    third = chain_of_five[2]
    values = {f: getattr(third, f) for f in chain.FIELDS if f != "actor_id"}
    values.update(seq=6, actor_id=third.actor_id, action="signoff.recorded")
    values["after"] = {"decision": "approve"}
    AuditEvent.objects.create(
        prev_hash=third.hash, hash=chain.event_hash(third.hash, values), **values
    )
    report = verification.chain_verify()
    assert not report.ok
    assert report.broken_seq == 6
    assert report.problem == "previous hash does not match the event before"


def test_a_payload_restored_from_a_backup_is_reported(chain_of_five, tamper):
    # Swap event #4's payload for #3's, as a partial restore would.
    third, fourth = chain_of_five[2], chain_of_five[3]
    with tamper():
        AuditEvent.objects.filter(seq=4).update(
            before=third.before, after=third.after, target_id=third.target_id
        )
    assert fourth.target_id != third.target_id
    report = verification.chain_verify()
    assert (report.ok, report.broken_seq) == (False, 4)
    assert report.problem == "content does not match its hash"


def test_a_duplicated_event_is_reported(chain_of_five):
    rows = list(AuditEvent.objects.order_by("seq").values())
    rows.insert(3, rows[2])
    report = chain.verify(rows)
    assert (report.ok, report.broken_seq) == (False, 3)
    assert report.problem == "event #3 appears twice"


def test_hash_survives_a_round_trip_through_the_database(db, client):
    from django.contrib.auth.models import User

    from apps.audit import services
    from apps.core import context

    token = context.bind(
        context.RequestContext(
            request_id="req-12345678",
            ip="0:0:0:0:0:0:0:1",
            user_agent="Mozilla/5.0 ünïcode",
        )
    )
    try:
        user = User.objects.create(username="zoë")
        services.record(
            actor=user,
            action="probe_result.recorded",
            target=user,
            after={"duration_ms": 12.5, "ok": True, "nested": {"b": 1, "a": [1, "x"]}},
        )
    finally:
        context.reset(token)
    assert AuditEvent.objects.get().ip == "::1"
    assert verification.chain_verify().ok


def test_an_append_sent_with_a_release_count_extends_the_chain(release, lead):
    """The item tick hands its event's writes to the release's count
    (record(send=...)): the event is there after the change, linked and with
    the head moved, as if appended at once, and before it there is none."""
    from django.db import connection

    from apps.audit import services as audit
    from apps.releases.writes import release_change

    before = AuditEvent.objects.order_by("-seq").first()
    with release_change(release.pk) as change:
        sent = audit.record(
            actor=lead,
            action="release.noted",
            target=release,
            team_id=release.team_id,
            release_id=release.pk,
            after={"notes": "Sent with the count."},
            send=change.with_queries,
        )
        appended = AuditEvent.objects.filter(action="release.noted").exists()

    event = AuditEvent.objects.get(action="release.noted")
    assert (event.seq, event.prev_hash) == (before.seq + 1, before.hash)
    assert event.after == {"notes": "Sent with the count."}
    report = verification.chain_verify()
    assert report.ok
    assert (report.last_seq, report.last_hash) == (event.seq, event.hash)
    if connection.vendor == "postgresql":
        assert (sent, appended) == (None, False)
    else:  # SQLite appends at once
        assert (sent.pk, appended) == (event.pk, True)


def test_the_canonical_text_around_seq_and_time_is_the_canonical_text():
    """PostgreSQL hashes an event it numbers and stamps itself from the text
    around its seq and time (audit.services): that text must be canonical()'s,
    whatever the values hold."""
    import random
    from datetime import UTC, datetime, timedelta

    rng = random.Random(18)
    texts = ["", "plain", 'quote " and \\ slash', "naïve ünïcode ✓", "line\nbreak"]
    for _ in range(200):
        values = {
            "actor_id": rng.choice([None, rng.randrange(1, 10**6)]),
            "actor_label": rng.choice(texts),
            "action": rng.choice(["release_item.state_changed", "x" * 40]),
            "target_type": "releases.releaseitem",
            "target_id": str(rng.randrange(10**9)),
            "team_id": rng.choice([None, 7]),
            "release_id": rng.choice([None, 2**40]),
            "before": {"state": rng.choice(texts), "n": {"b": 1, "a": [1, None]}},
            "after": rng.choice([{}, {"note": rng.choice(texts)}]),
            "request_id": rng.choice(["", "4f" * 16]),
            "ip": rng.choice([None, "127.0.0.1", "2001:db8::1"]),
            "user_agent": rng.choice(texts),
        }
        seq = rng.randrange(1, 2**62)
        at = datetime(2026, 12, 5, tzinfo=UTC) + timedelta(
            microseconds=rng.randrange(10**13)
        )
        head, middle, tail = chain.canonical_around(values)
        spliced = head + chain.timestamp(at) + middle + str(seq) + tail
        assert spliced.encode() == chain.canonical(
            {**values, "seq": seq, "created_at": at}
        )
