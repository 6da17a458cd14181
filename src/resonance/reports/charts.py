"""The reports' charts as PNG images (matplotlib's Agg canvas, no display and no pyplot needed).

Chinese labels need a CJK font: the first installed one of ``CJK_FONTS`` is used (Debian's fonts-noto-cjk
gives Noto Sans CJK). Without one, every chart is labelled in English whatever the report's language, so that
a chart never shows tofu boxes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
_COLOURS = ("#1f4e79", "#c00000", "#548235", "#bf8f00", "#7030a0")


@lru_cache
def cjk_font() -> str | None:
    """The family name of an installed CJK font matplotlib can use, or None."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def chart_lang(lang: str) -> str:
    """The language charts are labelled in: the report's, unless Chinese has no font to be drawn with."""
    return "zh" if lang == "zh" and cjk_font() is not None else "en"


@dataclass(frozen=True)
class Bars:
    """One bar series: a legend label and one value per category."""

    label: str
    values: Sequence[float]


_lock = threading.Lock()  # the web platform may build two reports at once; matplotlib's state is global


def bar_chart(
    path: Path,
    *,
    title: str,
    categories: Sequence[str],
    series: Sequence[Bars],
    lang: str,
    ylabel: str = "",
    target: float | None = None,
    target_label: str = "",
) -> Path:
    """A grouped bar chart (percent values when ``target`` is 100) written to ``path`` as PNG, 150 dpi.

    Drawn on a bare ``Figure`` (no pyplot, no global rcParams): fonts are passed to each text element.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = cjk_font() if lang == "zh" else None
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]

    def fp(size: float) -> FontProperties:
        return FontProperties(family=family, size=size)

    with _lock:
        width = max(6.0, min(10.0, 1.2 + 0.9 * len(categories) * max(1, len(series)) * 0.6))
        fig = Figure(figsize=(width, 3.6), dpi=150)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        n = max(1, len(series))
        step = 0.8 / n
        for k, bars in enumerate(series):
            xs = [i - 0.4 + step * (k + 0.5) for i in range(len(categories))]
            drawn = ax.bar(xs, bars.values, width=step * 0.92, label=bars.label, color=_COLOURS[k % len(_COLOURS)])
            ax.bar_label(drawn, labels=[f"{v:.0f}" for v in bars.values], fontproperties=fp(7), padding=1)
        if target is not None:
            ax.axhline(target, color="#444444", linestyle="--", linewidth=0.8, label=target_label or None)
        ax.set_xticks(range(len(categories)), labels=list(categories), fontproperties=fp(8))
        ax.set_title(title, fontproperties=fp(11))
        if ylabel:
            ax.set_ylabel(ylabel, fontproperties=fp(8))
        top = max([target or 0.0, *(v for bars in series for v in bars.values)], default=1.0)
        ax.set_ylim(0, top * 1.15 if top > 0 else 1)
        ax.spines[["top", "right"]].set_visible(False)
        if n > 1 or target_label:  # below the axes, where no bar can be hidden by it
            ax.legend(prop=fp(7), frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=n + 1)
        fig.tight_layout()
        fig.savefig(path, format="png", bbox_inches="tight")
    return path
