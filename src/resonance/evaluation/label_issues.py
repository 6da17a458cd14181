"""Label issues at the provider's node: rows that look mislabelled, a review, and a corrected dataset version.

    report = find_label_issues(frame, label="Machine failure", features=[...], id_column="UDI", dataset="ai4i-l@1")
    report.save(issues_path(node_home, "ai4i-l", "1"))        # next to the data, in the node home
    report = report.review({4711: "accept", 815: "reject"})   # the provider decides, row by row
    fixed, changed = apply_fixes(frame, report)              # → saved as the dataset's next version
    report.summary()                                          # {"dataset", "rows", "issues", …}: all that is sent

Finding: cleanlab's ``filter.find_label_issues`` (confident learning, Northcutt et al. 2021) on out-of-sample
class probabilities, which ``sklearn.model_selection.cross_val_predict`` gets from ``folds``-fold
cross-validation of a simple model (default: gradient-boosted trees, ``HistGradientBoostingClassifier``, which
needs no scaling and handles the nonlinear failure modes of machine data that a linear model misses). Each issue
carries the row's id, the given label, the suggested label (the model's most probable class) and the model's
probability of the given label. Rows, labels and ids never leave the node; only the count does.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from resonance.errors import ResonanceError

FORMAT = "resonance.label-issues/1"
STATUSES = ("open", "accepted", "rejected")
DECISIONS = {"accept": "accepted", "reject": "rejected", "reopen": "open"}


@dataclass(frozen=True)
class LabelIssue:
    """One row that looks mislabelled. ``row_id``: the id column's value, or the row's position."""

    row_id: Any
    given: Any
    suggested: Any
    given_probability: float
    status: str = "open"

    def as_dict(self) -> dict[str, Any]:
        return {
            "row_id": self.row_id,
            "given": self.given,
            "suggested": self.suggested,
            "given_probability": round(self.given_probability, 6),
            "status": self.status,
        }


@dataclass(frozen=True)
class LabelIssueReport:
    """The issues found in one dataset version, with how they were found; saved as JSON in the node home."""

    dataset: str
    label: str
    id_column: str | None
    rows: int
    issues: list[LabelIssue]
    method: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""

    @property
    def count(self) -> int:
        return len(self.issues)

    def summary(self) -> dict[str, Any]:
        """What may be sent to the space: counts only, never a row id or a label."""
        statuses = {s: sum(1 for i in self.issues if i.status == s) for s in STATUSES}
        return {"dataset": self.dataset, "rows": self.rows, "issues": self.count, **statuses}

    def message(self, lang: str = "en") -> str:
        """e.g. '37 rows look mislabelled' / '37 行疑似标注错误'."""
        if lang == "zh":
            return f"{self.count} 行疑似标注错误（共 {self.rows} 行）"
        return f"{self.count} rows look mislabelled (of {self.rows})"

    def review(self, decisions: Mapping[Any, str]) -> LabelIssueReport:
        """A new report with the provider's decisions applied: row id → accept | reject | reopen.

        Refused whole (nothing applied) if an id is not an issue of this report or a decision is unknown."""
        by_id = {_key(i.row_id): i for i in self.issues}
        problems = [str(r) for r in decisions if _key(r) not in by_id]
        if problems:
            raise ResonanceError(
                what=f"not label issues of {self.dataset}: {', '.join(problems[:5])}",
                where="review",
                fix="decide only on row ids listed in the issues file",
                code="unknown_issue",
            )
        bad = sorted({str(d) for d in decisions.values() if d not in DECISIONS})
        if bad:
            raise ResonanceError(
                what=f"unknown decision {', '.join(bad)}",
                where="review",
                fix=f"use one of {', '.join(DECISIONS)}",
                code="invalid_decision",
            )
        wanted = {_key(r): DECISIONS[d] for r, d in decisions.items()}
        issues = [replace(i, status=wanted.get(_key(i.row_id), i.status)) for i in self.issues]
        return replace(self, issues=issues)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "dataset": self.dataset,
            "label": self.label,
            "id_column": self.id_column,
            "rows": self.rows,
            "created_at": self.created_at,
            "method": dict(self.method),
            "issues": [i.as_dict() for i in self.issues],
        }

    def save(self, path: Path) -> Path:
        """Write the issues file atomically (a temporary file renamed over the old one)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".label-issues-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(self.as_dict(), out, ensure_ascii=False, indent=1, default=_json_default)
        os.replace(temporary, path)
        return path

    @classmethod
    def load(cls, path: Path) -> LabelIssueReport:
        """Read an issues file written by ``save``; a malformed one is refused with its path."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(f"format is {data.get('format')!r}, not {FORMAT}")
            issues = []
            for item in data["issues"]:
                if item.get("status", "open") not in STATUSES:
                    raise ValueError(f"unknown status {item.get('status')!r}")
                issues.append(
                    LabelIssue(
                        row_id=item["row_id"],
                        given=item["given"],
                        suggested=item["suggested"],
                        given_probability=float(item["given_probability"]),
                        status=item.get("status", "open"),
                    )
                )
            return cls(
                dataset=str(data["dataset"]),
                label=str(data["label"]),
                id_column=data.get("id_column"),
                rows=int(data["rows"]),
                issues=issues,
                method=dict(data.get("method") or {}),
                created_at=str(data.get("created_at", "")),
            )
        except (
            OSError,
            UnicodeDecodeError,
            json.JSONDecodeError,
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
        ) as exc:
            raise ResonanceError(
                what=f"cannot read the label-issues file: {exc}",
                where=str(path),
                fix="find the issues again with `find_label_issues` (the file is rewritten whole)",
                code="invalid_issues_file",
            ) from exc


def _key(value: Any) -> str:
    """Row ids compare as text: a JSON round trip or a CLI argument turns 12 into '12'."""
    return str(value.item() if isinstance(value, np.generic) else value)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def issues_path(node_home: Path, code: str, version: str = "1") -> Path:
    """Where a dataset version's issues file lies in the node home (never sent anywhere)."""
    return Path(node_home) / "label-issues" / f"{code}@{version}.json"


def _refuse(what: str, where: str, fix: str) -> ResonanceError:
    return ResonanceError(what=what, where=where, fix=fix, code="invalid_label_data")


def _default_model(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=100, random_state=seed)


def find_label_issues(
    frame: pd.DataFrame,
    *,
    label: str,
    features: Sequence[str],
    id_column: str | None = None,
    dataset: str = "",
    folds: int = 5,
    seed: int = 0,
    model: Any = None,
    threads: int | None = None,
) -> LabelIssueReport:
    """The rows of ``frame`` whose ``label`` looks wrong, most doubtful first (cleanlab, out-of-sample).

    ``features``: the columns the model learns from (text columns are one-hot encoded). ``model``: any
    scikit-learn classifier with ``predict_proba`` (default gradient-boosted trees). ``threads``: the most
    threads its native code may use (None: all cores). Refused: a missing column,
    missing labels, a single class, a class with fewer rows than ``folds``, duplicate or missing ids."""
    from cleanlab.filter import find_label_issues as cleanlab_find
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from threadpoolctl import threadpool_limits

    x, labels, classes, ids = _prepare(frame, label, features, id_column, folds)
    estimator = model if model is not None else _default_model(seed)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with threadpool_limits(limits=threads):  # None: no limit; on a shared machine, fewer threads run faster
        probabilities = cross_val_predict(estimator, x, labels, cv=splitter, method="predict_proba")
    ranked = cleanlab_find(labels=labels, pred_probs=probabilities, return_indices_ranked_by="self_confidence")
    suggested = probabilities.argmax(axis=1)
    issues = [
        LabelIssue(
            row_id=_plain(ids[i]),
            given=_plain(classes[labels[i]]),
            suggested=_plain(classes[suggested[i]]),
            given_probability=round(float(probabilities[i, labels[i]]), 6),  # as saved: a reload compares equal
        )
        for i in ranked
        if suggested[i] != labels[i]
    ]
    return LabelIssueReport(
        dataset=dataset,
        label=label,
        id_column=id_column,
        rows=len(frame),
        issues=issues,
        method={
            "finder": "cleanlab.filter.find_label_issues",
            "ranked_by": "self_confidence",
            "model": type(estimator).__name__,
            "folds": folds,
            "seed": seed,
            "features": list(features),
        },
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _prepare(
    frame: Any, label: str, features: Sequence[str], id_column: str | None, folds: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(frame, pd.DataFrame):
        raise _refuse(f"expected a pandas DataFrame, got {type(frame).__name__}", "frame", "pass the dataset's rows")
    if isinstance(features, str) or not features:
        raise _refuse("features must be a non-empty list of columns", "features", "name the model's inputs")
    missing = [c for c in [label, *features, *([id_column] if id_column else [])] if c not in frame.columns]
    if missing:
        raise _refuse(f"unknown columns: {', '.join(map(str, missing))}", "columns", "use columns of the dataset")
    if label in features or (id_column and id_column in features):
        raise _refuse("the label and the id cannot be features", "features", "leave them out of features")
    if not isinstance(folds, int) or folds < 2:
        raise _refuse(f"folds must be a whole number >= 2, got {folds!r}", "folds", "use e.g. 5")
    if frame[label].isna().any():
        raise _refuse(
            f"{int(frame[label].isna().sum())} rows have no label", label, "label them or leave them out first"
        )
    codes, classes = pd.factorize(frame[label], sort=True)
    if len(classes) < 2:
        raise _refuse("the label has a single class: nothing can look mislabelled", label, "check the label column")
    smallest = int(np.bincount(codes).min())
    if smallest < folds:
        raise _refuse(
            f"a class has {smallest} rows, fewer than the {folds} folds",
            label,
            "use fewer folds or more data",
        )
    if id_column:
        ids = frame[id_column].to_numpy()
        if frame[id_column].isna().any() or frame[id_column].duplicated().any():
            raise _refuse("the id column has missing or repeated values", id_column, "use a column unique per row")
    else:
        ids = np.arange(len(frame))
    x = frame[list(features)]
    text = [c for c in features if not pd.api.types.is_numeric_dtype(x[c])]
    if text:
        x = pd.get_dummies(x, columns=text, dummy_na=True)
    try:
        matrix = x.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise _refuse(f"features are not numbers or categories: {exc}", "features", "pass plain columns") from exc
    return matrix, codes.astype(np.int64), np.asarray(classes), ids


def apply_fixes(frame: pd.DataFrame, report: LabelIssueReport) -> tuple[pd.DataFrame, int]:
    """A copy of ``frame`` with the accepted issues' labels set to their suggestions, and how many changed.

    The rows must still be the ones the report was found on (same ids, same given labels): a row whose label
    changed since, or an id that is gone, refuses the whole fix."""
    if report.label not in frame.columns:
        raise _refuse(f"the data has no column {report.label!r}", report.label, "fix the dataset the report is on")
    accepted = [i for i in report.issues if i.status == "accepted"]
    if report.id_column:
        if report.id_column not in frame.columns:
            raise _refuse(f"the data has no id column {report.id_column!r}", report.id_column, "use the same data")
        position = {_key(v): p for p, v in enumerate(frame[report.id_column].to_numpy())}
    else:
        position = {str(p): p for p in range(len(frame))}
    fixed = frame.copy()
    column = fixed.columns.get_loc(report.label)
    stale = []
    for issue in accepted:
        row = position.get(_key(issue.row_id))
        if row is None or _key(fixed.iat[row, column]) != _key(issue.given):
            stale.append(str(issue.row_id))
            continue
        fixed.iat[row, column] = issue.suggested
    if stale:
        raise ResonanceError(
            what=f"{len(stale)} accepted issues no longer match the data (rows {', '.join(stale[:5])})",
            where=report.dataset or "label issues",
            fix="find the label issues again on the current version and review them anew",
            code="stale_issues",
        )
    return fixed, len(accepted)
