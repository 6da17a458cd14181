"""Charts: Chinese labels with a CJK font, English labels (never tofu boxes) without one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _world import TODAY

from resonance.registry.db import transaction
from resonance.reports import build, charts


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every bar_chart call's arguments (the chart is still drawn)."""
    calls: list[dict[str, Any]] = []
    original = charts.bar_chart

    def spy(path: Path, **kwargs: Any) -> Path:
        calls.append(kwargs)
        return original(path, **kwargs)

    monkeypatch.setattr(charts, "bar_chart", spy)
    return calls


def test_without_a_cjk_font_charts_fall_back_to_english(
    world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, drawn: list[dict[str, Any]]
) -> None:
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    assert charts.chart_lang("zh") == "en"
    with transaction(world.sessions) as session:
        files = build(session, "phase", "zj", "zh", tmp_path, today=TODAY)
    titles = [call["title"] for call in drawn]
    assert titles == ["Checks met per key task (%)", "Per key industry: share of each quota reached (%)"]
    assert drawn[1]["categories"] == ["Steel", "Industrial\nmachine tools"]
    assert all(call["lang"] == "en" for call in drawn)
    assert all(path.stat().st_size > 5000 for path in files.charts)


def test_with_a_cjk_font_charts_speak_chinese(world: Any, tmp_path: Path, drawn: list[dict[str, Any]]) -> None:
    if charts.cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk)")
    with transaction(world.sessions) as session:
        build(session, "phase", "zj", "zh", tmp_path, today=TODAY)
    assert drawn[0]["title"] == "各项任务达标率（%）"
    assert drawn[1]["categories"] == ["钢铁", "工业母机"]
    values = {series.label: list(series.values) for series in drawn[1]["series"]}
    assert values["通识数据集"] == [40.0, 0.0] and values["行业模型"] == [100.0, 0.0]
    assert values["场景档案"] == pytest.approx([100 / 30, 0.0])


def test_english_report_charts_are_english(tmp_path: Path) -> None:
    path = charts.bar_chart(
        tmp_path / "c.png", title="t", categories=["a", "b"], series=[charts.Bars("x", [1.0, 2.0])], lang="en"
    )
    assert path.read_bytes().startswith(b"\x89PNG")
    assert charts.chart_lang("en") == "en"
