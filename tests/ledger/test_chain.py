"""The ledger on SQLite and PostgreSQL: appends chain and sign; verify names the seq of every tampering."""

import itertools
import json

import pytest
from sqlalchemy import select, text

from resonance.errors import ResonanceError
from resonance.ledger import chain
from resonance.ledger.keys import space_key_path
from resonance.node import keys
from resonance.registry import models as m
from resonance.registry.db import transaction


@pytest.fixture
def ledger(registry):
    with transaction(registry.sessions) as session:
        for i in range(1, 6):
            chain.append(session, kind="job.round", subject="job:J1", payload={"round": i, "loss": 1.0 / i}, actor="t")
    return registry


def report(registry):
    with registry.session() as session:
        return chain.verify(session)


def seqs(result):
    return sorted({p.where for p in result.problems})


def test_a_fresh_chain_verifies(ledger):
    result = report(ledger)
    assert (result.ok, result.count, result.head_seq, result.problems) == (True, 5, 5, [])
    with ledger.session() as session:
        rows = chain.events(session)
        assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
        assert rows[0].prev_hash == chain.GENESIS
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
        assert json.loads(rows[2].payload) == {"loss": 1.0 / 3, "round": 3}
        assert chain.as_dict(rows[0])["payload"]["round"] == 1
        assert [r.seq for r in chain.events(session, kind="job.", after=3)] == [4, 5]


def test_an_empty_ledger_verifies(registry):
    result = report(registry)
    assert result.ok and result.count == 0


def test_space_key_is_private_and_signs_events(ledger):
    path = space_key_path()
    assert path.stat().st_mode & 0o777 == 0o600
    public = path.with_suffix(".pub").read_text().strip()
    with ledger.session() as session:
        event = chain.events(session)[0]
    assert keys.verify(public, event.hash.encode(), event.signature)


def test_edited_event_is_found(ledger):
    with transaction(ledger.sessions) as session:
        event = session.get(m.LedgerEvent, 3)
        event.payload = event.payload.replace('"round":3', '"round":30')
    result = report(ledger)
    assert not result.ok
    assert seqs(result) == ["seq 3"]
    assert "edited" in result.problems[0].what


def test_edited_and_rehashed_event_is_found_by_its_signature_and_the_chain(ledger):
    with transaction(ledger.sessions) as session:
        event = session.get(m.LedgerEvent, 2)
        event.actor = "mallory"
        event.hash = chain.event_hash(event)
    result = report(ledger)
    assert "seq 2" in seqs(result) and "seq 3" in seqs(result)
    assert any("signature" in p.what for p in result.problems)


def test_deleted_event_is_found(ledger):
    with transaction(ledger.sessions) as session:
        session.delete(session.get(m.LedgerEvent, 3))
    result = report(ledger)
    assert not result.ok
    assert any(p.where == "seq 4" and "3 are missing" in p.what for p in result.problems)


def test_deleted_newest_event_is_found_by_the_head(ledger):
    with transaction(ledger.sessions) as session:
        session.delete(session.get(m.LedgerEvent, 5))
    result = report(ledger)
    assert not result.ok
    assert result.problems[0].where == "seq 5" and "deleted" in result.problems[0].what


def test_reordered_events_are_found(ledger):
    # swap the contents of seq 2 and 3 (as a reorder by an UPDATE of seq would leave them)
    with transaction(ledger.sessions) as session:
        session.execute(text("UPDATE ledger_events SET seq = 1000 WHERE seq = 2"))
        session.execute(text("UPDATE ledger_events SET seq = 2 WHERE seq = 3"))
        session.execute(text("UPDATE ledger_events SET seq = 3 WHERE seq = 1000"))
    result = report(ledger)
    assert not result.ok
    assert {"seq 2", "seq 3"} <= set(seqs(result))
    assert any("reordered" in p.what for p in result.problems)


def test_inserted_event_is_found(ledger):
    with transaction(ledger.sessions) as session:
        session.execute(text("UPDATE ledger_events SET seq = seq + 100 WHERE seq >= 3"))
        session.execute(text("UPDATE ledger_events SET seq = seq - 99 WHERE seq >= 103"))
        prev = session.get(m.LedgerEvent, 2)
        forged = m.LedgerEvent(
            seq=3,
            prev_hash=prev.hash,
            hash="",
            kind="job.round",
            subject="job:J1",
            actor="mallory",
            at="2026-12-05T00:00:00+00:00",
            payload='{"round":99}',
            signature="AAAA",
        )
        forged.hash = chain.event_hash(forged)
        session.add(forged)
    result = report(ledger)
    assert not result.ok
    assert any(p.where == "seq 3" and "forged" in p.what for p in result.problems)
    assert any(p.where == "seq 4" for p in result.problems)  # the old seq 3 no longer follows its predecessor


def test_append_continues_after_verification_and_refuses_bad_input(ledger):
    with transaction(ledger.sessions) as session:
        event = chain.append(session, kind="model.published", subject="model:m@1", payload={"a": 1}, actor="lead")
        assert event.seq == 6
        with pytest.raises(ResonanceError):
            chain.append(session, kind="nodot", subject="x", payload={}, actor="t")
        with pytest.raises(ResonanceError):
            chain.append(session, kind="job.round", subject="x", payload=["list"], actor="t")  # type: ignore[arg-type]
        with pytest.raises(ResonanceError):
            chain.append(session, kind="job.round", subject="x", payload={"x": object()}, actor="t")
    assert report(ledger).ok


def test_rolled_back_append_leaves_no_trace(ledger):
    with pytest.raises(RuntimeError), transaction(ledger.sessions) as session:
        chain.append(session, kind="job.round", subject="job:J2", payload={}, actor="t")
        raise RuntimeError("the caller's work failed")
    result = report(ledger)
    assert result.ok and result.count == 5


def test_node_signature_is_checked(ledger, tmp_path):
    public = keys.generate(tmp_path / "n.key")
    node_key = keys.load_private(tmp_path / "n.key")
    with transaction(ledger.sessions) as session:
        org = session.scalars(select(m.Organisation)).first()
        if org is None:
            org = m.Organisation(code="o", name_zh="单位")
            session.add(org)
            session.flush()
        session.add(m.Node(id="node-x", org_id=org.id, public_key=public, status="approved"))
        session.flush()
        act = chain.NodeAct.from_request("node-x", "POST", "/p", "100", b"{}", "")
        act = chain.NodeAct("node-x", act.message, keys.sign(node_key, act.message.encode()))
        chain.append(session, kind="dataset.published", subject="dataset:d@1", payload={}, actor="node-x", node=act)
    assert report(ledger).ok
    with transaction(ledger.sessions) as session:
        event = session.get(m.LedgerEvent, 6)
        event.payload = event.payload.replace("POST\\n/p", "POST\\n/q")
        assert "/q" in event.payload
        event.hash = chain.event_hash(event)  # even with a recomputed hash the node's signature fails
    result = report(ledger)
    assert any(p.where == "seq 6" and "node" in p.what for p in result.problems)
