"""计量 per job × provider dataset, on SQLite and PostgreSQL."""

import pytest

import _governance as world
from resonance.errors import ResonanceError
from resonance.policy import metering
from resonance.registry.db import transaction


def test_rounds_add_up_per_job_and_dataset(registry):
    world.build(registry)
    with transaction(registry.sessions) as session:
        for _ in range(3):
            metering.record(session, job="J1", dataset="ds-1@1", samples=800, seconds=0.5, epsilon=0.1)
        metering.record(session, job="J1", dataset="ds-2@1", rounds=2, samples=10, seconds=1.0)
        metering.record(session, job="J2", dataset="ds-1@1", samples=5)
    with registry.session() as session:
        rows = metering.read(session, job="J1")
        assert [(r["dataset"], r["rounds"], r["samples"]) for r in rows] == [("ds-1@1", 3, 2400), ("ds-2@1", 2, 10)]
        assert rows[0]["compute_seconds"] == pytest.approx(1.5)
        assert rows[0]["epsilon"] == pytest.approx(0.3)
        assert rows[0]["provider"] == "prov-a" and rows[0]["node"] == world.NODE_ID
        assert len(metering.read(session, provider="prov-a")) == 3
        assert metering.read(session, provider="cons-a") == []


@pytest.mark.parametrize(
    "bad",
    [
        {"rounds": -1},
        {"samples": 1.5},
        {"seconds": float("inf")},
        {"epsilon": "0.1"},
        {"job": ""},
        {"job": "x" * 81},
        {"dataset": "nope@1"},
        {"rounds": True},
    ],
)
def test_bad_metering_is_refused(registry, bad):
    world.build(registry)
    with pytest.raises(ResonanceError), transaction(registry.sessions) as session:
        metering.record(session, **{"job": "J1", "dataset": "ds-1@1", **bad})
