"""List rows: ``where`` filters on stable keys, ledger evidence (newest event, counts, chunked lookups), file names."""

from __future__ import annotations

from typing import Any

import pytest
from _world import EVIDENCED

from resonance.ledger import chain
from resonance.registry.db import transaction
from resonance.reports import evidence
from resonance.reports.lists import Row, select_rows
from resonance.reports.service import file_stem
from resonance.reports.templates import ListSpec


def test_where_filters_on_stable_keys() -> None:
    spec = ListSpec.model_validate(
        {
            "key": "common",
            "title": {"zh": "通识", "en": "Common"},
            "sheet": {"zh": "通识", "en": "Common"},
            "source": "datasets",
            "where": {"kind": ["common"]},
            "columns": [{"field": "name", "zh": "名称", "en": "Name"}],
        }
    )
    rows = [
        Row("dataset:a@1", {"name": "A"}, {"kind": "common"}),
        Row("dataset:b@1", {"name": "B"}, {"kind": "evaluation"}),
    ]
    assert [r.subject for r in select_rows(spec, rows)] == ["dataset:a@1"]


def test_evidence_is_the_newest_event_with_a_count(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with transaction(world.sessions) as session:
        newer = chain.append(session, kind="policy.changed", subject=EVIDENCED, payload={}, actor="test")
        other = chain.append(session, kind="model.published", subject="model:zj-steel-model@1", payload={}, actor="t")
        newer_seq, newer_hash, other_seq = newer.seq, newer.hash, other.seq
    monkeypatch.setattr(evidence, "_CHUNK", 1)  # one subject per query: the chunking must not lose any
    with world.session() as session:
        found = evidence.lookup(session, [EVIDENCED, "model:zj-steel-model@1", "case:none"])
    first = found[EVIDENCED]
    assert (first.count, first.seq, first.hash, first.kind) == (2, newer_seq, newer_hash, "policy.changed")
    assert first.line("en") == f"#{newer_seq} policy.changed (2 events) {newer_hash[:12]}…"
    assert first.link("/ledger?seq={seq}") == f"/ledger?seq={newer_seq}"
    assert found["model:zj-steel-model@1"].seq == other_seq
    none = found["case:none"]
    assert none.count == 0 and none.line("zh") == "暂无存证事件" and none.link("/x/{subject}") == ""


@pytest.mark.parametrize(("code", "stem"), [("zj", "zj-plan-zh"), ("a/b c", "a_b_c-plan-zh"), ("x..", "x-plan-zh")])
def test_file_names_are_safe(code: str, stem: str) -> None:
    assert file_stem(code, "plan", "zh") == stem


def test_codes_without_safe_characters_never_share_files() -> None:
    first, second = file_stem("江苏", "plan", "zh"), file_stem("浙江", "plan", "zh")
    assert first.startswith("entity-") and second.startswith("entity-") and first != second
    assert file_stem("../..", "plan", "zh").startswith("entity-")
