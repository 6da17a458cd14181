import random

import pytest

from resonance.registry.identifiers import USCC_ALPHABET, check_uscc, is_valid_uscc, uscc_check_char


def _make(first: str, rng: random.Random) -> str:
    body = first + "".join(rng.choice(USCC_ALPHABET) for _ in range(16))
    return body + uscc_check_char(body)


def test_known_valid_codes_and_all_registration_authority_prefixes():
    assert is_valid_uscc("91350100M000100Y43")
    rng = random.Random(7)
    for first in "123456789ANY":
        assert is_valid_uscc(_make(first, rng))


def test_a_single_changed_character_is_detected():
    rng = random.Random(11)
    for _ in range(500):
        code = _make(rng.choice("9ANY15"), rng)
        pos = rng.randrange(18)
        other = rng.choice([c for c in USCC_ALPHABET if c != code[pos]])
        assert not is_valid_uscc(code[:pos] + other + code[pos + 1 :])


@pytest.mark.parametrize(
    ("code", "message"),
    [("91350100M000100Y4", "18 characters"), ("91350100M000100I43", "not allowed"), ("91350100M000100Y44", "check")],
)
def test_errors_say_what_is_wrong(code, message):
    with pytest.raises(ValueError, match=message):
        check_uscc(code)
