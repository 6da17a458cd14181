"""Per-column sensitivity scan at the data node: which identifier kinds a column holds, and how often.

The result carries counts and rates only, never a matched value, so it may be published as metadata.

Sampling: a column is read once, in order. Null-like values (None, NaN, empty or blank strings) are
counted and dropped; of the rest, up to ``sample_limit`` (default 10,000) are kept by reservoir
sampling (Vitter's algorithm L) with a seeded ``random.Random`` (default seed 0), so the same column
gives the same report every time. When a column has no more non-null values than the limit, every one
is scanned (``sampling == "all"``). Rates are over the sampled values; ``estimated_count`` scales a
rate up to the column's non-null count. Free text is scanned for embedded identifiers up to its first
``MAX_TEXT_CHARS`` characters.

A sample drawn elsewhere (the node draws it in DuckDB, by row hash: ``sampling == "row-hash"``) goes to
``scan_counts`` as (value, times drawn) pairs:
each distinct value is recognised once, and values that ``candidate_pattern()`` (a superset screen derived
from the recognizers' patterns, runnable in RE2) rules out are counted without being recognised. The report
is the one ``scan_column`` gives for the same sample; only the time differs.

Two rates per kind, over the sampled values: ``match_rate`` counts values that ARE one identifier (the
whole trimmed value), ``contains_rate`` values of free text with at least one embedded (values that are a
whole identifier are not counted again). When a value or a stretch of text is a valid identifier of two
kinds (an 18-digit resident ID that also passes Luhn), it counts for the first kind in
``VALUE_RECOGNIZERS`` order only.

A kind is flagged when its ``match_rate`` reaches ``threshold`` (default 0.5), or its ``contains_rate``
reaches ``contains_threshold`` (default 0.1), or the column is a mixed identifier column (all kinds'
match rates together reach ``threshold``, e.g. a "contact" column of phones and e-mails) and the kind's
own match rate reaches ``contains_threshold``.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import islice
from typing import Any, Literal, TypeVar

from resonance.node.sensitivity.recognizers import (
    HEADER_RECOGNIZERS,
    VALUE_RECOGNIZERS,
    HeaderRecognizer,
    Recognizer,
)

DEFAULT_SAMPLE_LIMIT = 10_000
DEFAULT_SEED = 0
DEFAULT_THRESHOLD = 0.5
DEFAULT_CONTAINS_THRESHOLD = 0.1
MAX_TEXT_CHARS = 4_096
T = TypeVar("T")


@dataclass(frozen=True)
class KindFinding:
    """How often one kind of identifier occurs in a column (counts over the sample; no values)."""

    kind: str
    zh: str
    en: str
    basis: Literal["value", "header"]
    personal: bool
    sensitive: bool
    match_count: int
    match_rate: float
    contains_count: int
    contains_rate: float
    estimated_count: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": {"zh": self.zh, "en": self.en},
            "basis": self.basis,
            "personal": self.personal,
            "sensitive": self.sensitive,
            "match_count": self.match_count,
            "match_rate": round(self.match_rate, 6),
            "contains_count": self.contains_count,
            "contains_rate": round(self.contains_rate, 6),
            "estimated_count": self.estimated_count,
        }


@dataclass(frozen=True)
class ColumnSensitivity:
    """The sensitivity scan of one column: per-kind rates, the PII verdict and how the sample was drawn."""

    column: str
    rows: int
    non_null: int
    sampled: int
    sampling: Literal["all", "reservoir", "row-hash"]  # row-hash: the drawer's rows with the smallest row hashes
    seed: int
    threshold: float
    contains_threshold: float
    findings: tuple[KindFinding, ...]
    flagged_kinds: tuple[str, ...]

    @property
    def pii_kinds(self) -> tuple[str, ...]:
        """Flagged kinds that identify natural persons (not USCCs or IP addresses)."""
        return tuple(f.kind for f in self.findings if f.kind in self.flagged_kinds and f.personal)

    @property
    def pii(self) -> bool:
        """True when a personal kind reaches its threshold (or the header names people)."""
        return bool(self.pii_kinds)

    @property
    def kinds_found(self) -> tuple[str, ...]:
        """Kinds seen at least once, whatever their rate."""
        return tuple(f.kind for f in self.findings if f.basis == "header" or f.match_count or f.contains_count)

    def finding(self, kind: str) -> KindFinding | None:
        """The finding for ``kind``, or None when the kind is not reported for this column."""
        return next((f for f in self.findings if f.kind == kind), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "rows": self.rows,
            "non_null": self.non_null,
            "sampled": self.sampled,
            "sampling": self.sampling,
            "seed": self.seed,
            "threshold": self.threshold,
            "contains_threshold": self.contains_threshold,
            "pii": self.pii,
            "pii_kinds": list(self.pii_kinds),
            "flagged_kinds": list(self.flagged_kinds),
            "kinds_found": list(self.kinds_found),
            "findings": [f.as_dict() for f in self.findings],
        }


class _Counter:
    """Turns raw cells into text, counting rows and non-null cells as the stream is consumed."""

    def __init__(self) -> None:
        self.rows = 0
        self.non_null = 0

    def text(self, value: object) -> str:
        self.rows += 1
        if value is None:
            return ""
        if isinstance(value, str):
            text = value.strip()
        elif isinstance(value, bytes):
            text = value.decode("utf-8", "replace").strip()
        elif isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                return ""
            # phone or card numbers read as floats: 13812345678.0 -> "13812345678"
            text = str(int(value)) if value.is_integer() and abs(value) < 1e19 else repr(value)
        else:
            text = str(value).strip()
        if text:
            self.non_null += 1
        return text


def _open_unit(rng: random.Random) -> float:
    u = rng.random()
    while u == 0.0:
        u = rng.random()
    return u


_LOOKAROUNDS = ("(?<!", "(?<=", "(?!", "(?=")
_BOUNDED = re.compile(r"\{(\d+),\d+\}")


@cache
def candidate_pattern() -> str:
    """A regex that matches (searching, anywhere) every text in which a value recognizer could find an identifier.

    It is a SUPERSET screen built from the recognizers' own patterns: a negative lookaround of one character
    class becomes the character (or edge) it lets through, other lookarounds are dropped, a backreference
    becomes a copy of the group it refers to, and bounded repeats ``{m,n}`` become ``{m,}``.
    So it needs no lookaround or backreference and runs in Python's ``re`` and in RE2 alike. A text it does
    not match holds no identifier; one it matches still has to be recognised.
    """
    parts = []
    for recognizer in VALUE_RECOGNIZERS:
        part = _loosen(recognizer.pattern.pattern, _groups(recognizer.pattern.pattern))
        parts.append(f"(?i:{part})" if recognizer.pattern.flags & re.IGNORECASE else f"(?:{part})")
    return "|".join(parts)


def _groups(pattern: str) -> list[str]:
    """The text of each capturing group of ``pattern``, in the order of their opening parentheses."""
    found, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
        elif char == "[":
            i = _class_end(pattern, i)
        else:
            if char == "(" and not pattern.startswith("(?", i):
                found.append(pattern[i + 1 : _group_end(pattern, i) - 1])
            i += 1
    return found


def _loosen(pattern: str, groups: list[str]) -> str:
    """``pattern`` as a superset without lookarounds or backreferences (see ``candidate_pattern``)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            escaped = pattern[i + 1]
            out.append(f"(?:{_loosen(groups[int(escaped) - 1], groups)})" if escaped.isdigit() else pattern[i : i + 2])
            i += 2
        elif char == "[":
            end = _class_end(pattern, i)
            out.append(pattern[i:end])
            i = end
        elif pattern.startswith(_LOOKAROUNDS, i):
            end = _group_end(pattern, i)
            out.append(_as_class(pattern, i, end))
            i = end
        elif char == "(" and not pattern.startswith("(?", i):
            out.append("(?:")
            i += 1
        elif char == "{" and (bounded := _BOUNDED.match(pattern, i)):
            out.append("{" + bounded.group(1) + ",}")
            i = bounded.end()
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _as_class(pattern: str, start: int, end: int) -> str:
    """A negative lookaround of one character class, ``(?<![x])`` or ``(?![x])``, as the text it lets through
    (``(?:^|[^x])`` or ``(?:$|[^x])``: the same matches when searching); any other lookaround as nothing."""
    for opening, edge in (("(?<![", "^"), ("(?![", "$")):
        if pattern.startswith(opening, start) and pattern[start + len(opening)] != "^":
            body_start = start + len(opening) - 1
            if _class_end(pattern, body_start) == end - 1:
                return f"(?:{edge}|[^{pattern[body_start + 1 : end - 2]}])"
    return ""


def _class_end(pattern: str, start: int) -> int:
    """The index just past the character class that opens at ``start``."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1
    while pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


def _group_end(pattern: str, start: int) -> int:
    """The index just past the group that opens at ``start``."""
    depth, i = 0, start
    while True:
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _class_end(pattern, i)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1


def reservoir_sample(items: Iterator[T], k: int, seed: int) -> list[T]:
    """Uniform sample of ``k`` items from a stream of unknown length (algorithm L), deterministic per seed."""
    reservoir = list(islice(items, k))
    if len(reservoir) < k or k == 0:
        return reservoir
    rng = random.Random(seed)
    w = math.exp(math.log(_open_unit(rng)) / k)
    while True:
        w = min(w, 1.0 - 1e-16)
        skip = math.floor(math.log(_open_unit(rng)) / math.log1p(-w))
        nxt = next(islice(items, skip, skip + 1), None)
        if nxt is None:
            return reservoir
        reservoir[rng.randrange(k)] = nxt
        w *= math.exp(math.log(_open_unit(rng)) / k)


def _whole_kind(text: str) -> str | None:
    for recognizer in VALUE_RECOGNIZERS:
        if recognizer.matches(text):
            return recognizer.kind
    return None


def _contained_kinds(text: str) -> set[str]:
    claimed: list[tuple[int, int]] = []
    kinds: set[str] = set()
    for recognizer in VALUE_RECOGNIZERS:
        for start, end in recognizer.finditer(text):
            if any(start < e and s < end for s, e in claimed):
                continue
            claimed.append((start, end))
            kinds.add(recognizer.kind)
    return kinds


def _finding(
    recognizer: Recognizer | HeaderRecognizer,
    basis: Literal["value", "header"],
    whole: int,
    contains: int,
    n: int,
    non_null: int,
) -> KindFinding:
    match_rate = whole / n if n else 0.0
    contains_rate = contains / n if n else 0.0
    estimated = non_null if basis == "header" else round(non_null * (match_rate + contains_rate))
    return KindFinding(
        kind=recognizer.kind,
        zh=recognizer.zh,
        en=recognizer.en,
        basis=basis,
        personal=recognizer.personal,
        sensitive=recognizer.sensitive,
        match_count=whole,
        match_rate=match_rate,
        contains_count=contains,
        contains_rate=contains_rate,
        estimated_count=estimated,
    )


def scan_column(
    name: str,
    values: Iterable[object],
    sample_limit: int = DEFAULT_SAMPLE_LIMIT,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    contains_threshold: float = DEFAULT_CONTAINS_THRESHOLD,
    seed: int = DEFAULT_SEED,
    population: tuple[int, int] | None = None,
) -> ColumnSensitivity:
    """Scan one column (any iterable of cells, e.g. a million strings) and report per-kind rates.

    ``population`` = (rows, non-null cells) of the whole column when ``values`` is already a sample drawn
    elsewhere (the node samples in DuckDB); rates come from the sample, counts are scaled to the population.

    Kinds are flagged as the module docstring says (thresholds 0.5 whole-value, 0.1 embedded in text,
    both configurable), and ``person_name`` when the header names people. ``pii`` is true when a flagged
    kind identifies natural persons (USCCs and IP addresses are flagged but are not PII). The report
    holds counts and rates only, never a cell value.
    """
    if sample_limit < 1:
        raise ValueError("sample_limit must be at least 1")
    counter = _Counter()
    texts = filter(None, map(counter.text, values))
    sample = reservoir_sample(texts, sample_limit, seed)  # drains the stream, so the counts are complete
    if population is not None:
        counter.rows, counter.non_null = population
    tallies: dict[str, int] = {}
    for text in sample:
        tallies[text] = tallies.get(text, 0) + 1
    return _report(name, tallies, counter.rows, counter.non_null, threshold, contains_threshold, seed)


def scan_counts(
    name: str,
    counts: Iterable[tuple[object, int] | tuple[object, int, bool]],
    *,
    population: tuple[int, int],
    threshold: float = DEFAULT_THRESHOLD,
    contains_threshold: float = DEFAULT_CONTAINS_THRESHOLD,
    seed: int = DEFAULT_SEED,
    sampling: Literal["reservoir", "row-hash"] = "reservoir",
) -> ColumnSensitivity:
    """Scan a sample drawn elsewhere and given as ``(value, times drawn)`` pairs, e.g. from a ``GROUP BY``.

    The report is the one ``scan_column`` gives for the same sample listed value by value (rates over the
    drawn values, counts scaled to ``population`` = (rows, non-null cells) of the whole column), but each
    distinct value is recognised once: repeated values cost nothing. A third element ``False`` says the value
    does not match ``candidate_pattern()`` (screened in the database): it is counted in the sample but not
    recognised, which gives the same report faster. Blank and null-like values are dropped, as
    ``scan_column`` drops them. A count that is not a positive integer is a ValueError. ``sampling`` names how
    the drawer chose the values when it did not take them all (the report says ``all`` when it did).
    """
    counter = _Counter()
    tallies: dict[str, int] = {}
    screened_out = 0
    for value, times, *candidate in counts:
        if not isinstance(times, int) or isinstance(times, bool) or times < 1:
            raise ValueError(f"the count of a sampled value must be a positive integer, got {times!r}")
        text = counter.text(value)
        if not text:
            continue
        if candidate and not candidate[0]:
            screened_out += times
        else:
            tallies[text] = tallies.get(text, 0) + times
    return _report(
        name, tallies, population[0], population[1], threshold, contains_threshold, seed, screened_out, sampling
    )


def _report(
    name: str,
    tallies: dict[str, int],
    rows: int,
    non_null: int,
    threshold: float,
    contains_threshold: float,
    seed: int,
    screened_out: int = 0,
    sampling: Literal["reservoir", "row-hash"] = "reservoir",
) -> ColumnSensitivity:
    """Recognise each distinct sampled text once, weighting it by how often it was drawn; ``screened_out``
    more sampled values are known to hold no identifier."""
    n = sum(tallies.values()) + screened_out
    whole = dict.fromkeys((r.kind for r in VALUE_RECOGNIZERS), 0)
    contains = dict.fromkeys(whole, 0)
    for text, times in tallies.items():
        kind = _whole_kind(text)
        if kind is not None:
            whole[kind] += times
            continue
        for found in _contained_kinds(text[:MAX_TEXT_CHARS]):
            contains[found] += times

    findings: list[KindFinding] = []
    flagged: list[str] = []
    for header in HEADER_RECOGNIZERS:
        if header.validate(name):
            findings.append(_finding(header, "header", 0, 0, n, non_null))
            flagged.append(header.kind)
    mixed = n > 0 and sum(whole.values()) / n >= threshold
    for recognizer in VALUE_RECOGNIZERS:
        finding = _finding(recognizer, "value", whole[recognizer.kind], contains[recognizer.kind], n, non_null)
        findings.append(finding)
        if n and (
            finding.match_rate >= threshold
            or finding.contains_rate >= contains_threshold
            or (mixed and finding.match_rate >= contains_threshold)
        ):
            flagged.append(recognizer.kind)
    return ColumnSensitivity(
        column=name,
        rows=rows,
        non_null=non_null,
        sampled=n,
        sampling="all" if n >= non_null else sampling,
        seed=seed,
        threshold=threshold,
        contains_threshold=contains_threshold,
        findings=tuple(findings),
        flagged_kinds=tuple(flagged),
    )


def scan_table(columns: dict[str, Iterable[object]], **options: Any) -> list[ColumnSensitivity]:
    """Scan every column of a table given as ``{header: values}``; ``options`` go to ``scan_column``."""
    return [scan_column(name, values, **options) for name, values in columns.items()]
