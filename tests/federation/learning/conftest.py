"""Fixtures: the bundled demo data loaded as each enterprise's node would (AI4I by type, C-MAPSS by engine)."""

from __future__ import annotations

import pytest

from resonance.demo.bundled import ai4i_parts, cmapss_parts
from resonance.federation.learning import TaskSpec, load_local, preset


@pytest.fixture(scope="session")
def ai4i_spec() -> TaskSpec:
    return TaskSpec(**preset("ai4i")["task"])


@pytest.fixture(scope="session")
def cmapss_spec() -> TaskSpec:
    return TaskSpec(**preset("cmapss_fd001")["task"])


@pytest.fixture(scope="session")
def ai4i(ai4i_spec):
    return [load_local(frame, ai4i_spec, name=f"ai4i-{t}") for t, frame in ai4i_parts().items()]


@pytest.fixture(scope="session")
def cmapss(cmapss_spec):
    return [load_local(frame, cmapss_spec, name=name) for name, frame in cmapss_parts().items()]
