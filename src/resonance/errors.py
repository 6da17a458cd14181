"""The project's one exception type: every error says what was wrong, where, and how to fix it.

The CLI prints it in one or two lines without a traceback; the API returns it as JSON with a stable code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Problem:
    """One thing wrong with an input: what, where (file/row/column/field), the bad value and the fix."""

    what: str
    fix: str = ""
    where: str = ""
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"what": self.what, "where": self.where, "fix": self.fix}
        if self.value is not None:
            out["value"] = self.value if isinstance(self.value, int | float | bool) else str(self.value)
        return out

    def __str__(self) -> str:
        parts = [f"{self.where}: " if self.where else "", self.what]
        if self.value is not None:
            parts.append(f" (got {self.value!r})")
        if self.fix:
            parts.append(f" — {self.fix}")
        return "".join(parts)


@dataclass
class ResonanceError(Exception):
    """An error a user can act on. ``code`` is stable and machine-readable; ``status`` is the HTTP status."""

    what: str
    fix: str = ""
    where: str = ""
    code: str = "invalid"
    status: int = 400
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.what)

    def __str__(self) -> str:
        head = f"{self.where}: {self.what}" if self.where else self.what
        return f"{head} — {self.fix}" if self.fix else head

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "what": self.what, "where": self.where, "fix": self.fix}
        if self.problems:
            out["problems"] = [p.as_dict() for p in self.problems]
        return out


class NotFound(ResonanceError):
    def __init__(self, kind: str, key: object, fix: str = "") -> None:
        super().__init__(
            what=f"no {kind} with id or code {key!r}",
            fix=fix or f"list the existing ones with `resonance {kind} list` and use one of those ids",
            code="not_found",
            status=404,
        )


class Conflict(ResonanceError):
    def __init__(self, what: str, fix: str = "", where: str = "", problems: list[Problem] | None = None) -> None:
        super().__init__(what=what, fix=fix, where=where, code="conflict", status=409, problems=problems or [])


class Forbidden(ResonanceError):
    def __init__(self, what: str, fix: str = "") -> None:
        super().__init__(what=what, fix=fix, code="forbidden", status=403)


class Unauthorized(ResonanceError):
    def __init__(self, what: str, fix: str = "") -> None:
        super().__init__(
            what=what,
            fix=fix or "send `Authorization: Bearer <token>`; create one with `resonance token create`",
            code="unauthorized",
            status=401,
        )
