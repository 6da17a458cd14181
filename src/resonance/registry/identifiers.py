"""Check digits of Chinese identifiers used in the registry.

The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from the 31-character set
``0-9A-HJ-NPQRTUWXY``; the last is a check character computed with weights 3^i mod 31. Valid first
characters include 1-9, A, N and Y (registration authorities), so no first character is rejected
beyond the character set itself.
"""

from __future__ import annotations

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    code = code.strip().upper()
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def check_uscc(code: str) -> str:
    """Return the normalised code or raise ValueError saying what is wrong with it."""
    normalised = code.strip().upper()
    if len(normalised) != 18:
        raise ValueError(f"a unified social credit code has 18 characters, this one has {len(normalised)}")
    bad = [c for c in normalised if c not in USCC_ALPHABET]
    if bad:
        raise ValueError(f"character {bad[0]!r} is not allowed in a unified social credit code (no I, O, S, V, Z)")
    expected = uscc_check_char(normalised[:17])
    if expected != normalised[17]:
        raise ValueError(f"check character should be {expected!r}, not {normalised[17]!r}: the code is mistyped")
    return normalised
