"""scan_column / scan_table / scan_counts: match and contains rates on mixed columns, sampling, the candidate screen,
and no raw values out."""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter

import duckdb
import pytest
from test_recognizers import (
    bank_card,
    bank_card_miss,
    email,
    email_miss,
    grouped,
    ipv4,
    ipv4_miss,
    mobile,
    mobile_miss,
    plate,
    plate_miss,
    resident_id,
    resident_id_miss,
    uscc,
    uscc_miss,
)

from resonance.node.sensitivity.detect import (
    _contained_kinds,
    _whole_kind,
    candidate_pattern,
    reservoir_sample,
    scan_column,
    scan_counts,
    scan_table,
)


def rate(result, kind: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    finding = result.finding(kind)
    assert finding is not None
    return finding.match_rate, finding.contains_rate


def test_mixed_column_rates_over_non_null_values() -> None:
    rng = random.Random(1)
    values: list[object] = [resident_id(rng) for _ in range(60)] + [mobile(rng) for _ in range(20)]
    values += ["n/a", "待补充", "12345", "-", "unknown", "无", "0", "x", "——", "？"]
    values += [None, "", "   ", float("nan")] + [None] * 6
    rng.shuffle(values)
    result = scan_column("证件号", values)
    assert (result.rows, result.non_null, result.sampled, result.sampling) == (100, 90, 90, "all")
    assert rate(result, "resident_id") == pytest.approx((60 / 90, 0.0))
    assert rate(result, "mobile") == pytest.approx((20 / 90, 0.0))
    assert rate(result, "bank_card") == (0.0, 0.0)  # IDs that pass Luhn count as IDs only
    assert result.pii and result.flagged_kinds == ("resident_id", "mobile")  # mixed: 80/90 are identifiers
    assert result.finding("resident_id").estimated_count == 60  # type: ignore[union-attr]


def test_below_threshold_is_reported_but_not_flagged() -> None:
    rng = random.Random(2)
    values = [mobile(rng) for _ in range(8)] + [f"批次{i:05d}" for i in range(92)]
    result = scan_column("remark", values)
    assert rate(result, "mobile") == pytest.approx((0.08, 0.0))
    assert "mobile" in result.kinds_found and not result.pii and result.flagged_kinds == ()
    assert scan_column("remark", values, threshold=0.05).flagged_kinds == ("mobile",)


def test_free_text_with_embedded_identifiers_uses_contains_rate() -> None:
    rng = random.Random(3)
    texts = [f"3号机故障，请联系{mobile(rng)}处理，登录 {ipv4(rng)}" for _ in range(30)]
    texts += ["设备运行正常，无异常" for _ in range(70)]
    result = scan_column("备注", texts)
    assert rate(result, "mobile") == pytest.approx((0.0, 0.3))
    assert rate(result, "ipv4") == pytest.approx((0.0, 0.3))
    assert result.flagged_kinds == ("mobile", "ipv4") and result.pii_kinds == ("mobile",)


def test_every_kind_as_a_whole_column() -> None:
    rng = random.Random(4)
    for kind, gen in [("resident_id", resident_id), ("uscc", uscc), ("bank_card", bank_card), ("mobile", mobile),
                      ("email", email), ("ipv4", ipv4), ("license_plate", plate)]:  # fmt: skip
        result = scan_column("c", [gen(rng) for _ in range(200)])
        assert result.finding(kind).match_rate >= 0.99, (kind, result.as_dict())  # type: ignore[union-attr]
        assert result.flagged_kinds == (kind,)
        assert result.pii == (kind not in ("uscc", "ipv4"))


def test_person_name_column_by_header() -> None:
    result = scan_column("联系人", ["张伟", "王芳", None, "李娜"])
    assert result.pii and result.flagged_kinds == ("person_name",)
    assert result.finding("person_name").estimated_count == 3  # type: ignore[union-attr]
    assert not scan_column("设备名称", ["数控机床", "注塑机"]).pii


def test_numbers_read_as_int_or_float_are_recognised() -> None:
    result = scan_column("phone", [13812345678, 13912345678.0, "13712345678", float("nan"), None])
    assert (result.non_null, result.finding("mobile").match_count) == (3, 3)  # type: ignore[union-attr]


def test_output_contains_no_raw_values() -> None:
    rng = random.Random(5)
    columns: dict[str, list[object]] = {
        "身份证号": [resident_id(rng) for _ in range(300)],
        "统一社会信用代码": [uscc(rng) for _ in range(300)],
        "card": [bank_card(rng) for _ in range(300)],
        "手机": [mobile(rng) for _ in range(300)],
        "email": [email(rng) for _ in range(300)],
        "ip": [ipv4(rng) for _ in range(300)],
        "车牌": [plate(rng) for _ in range(300)],
        "姓名": ["张伟", "王芳", "李娜", "欧阳晓明"] * 75,
        "备注": [f"客户{resident_id(rng)}，电话{mobile(rng)}" for _ in range(300)],
    }
    report = json.dumps([r.as_dict() for r in scan_table(columns)], ensure_ascii=False)
    ascii_report = json.dumps([r.as_dict() for r in scan_table(columns)])
    for values in columns.values():
        for value in values:
            text = str(value).strip()
            assert text not in report and text not in ascii_report, text
            digits = "".join(ch for ch in text if ch.isdigit())
            if len(digits) >= 11:
                assert digits not in report, text


def test_sampling_is_reservoir_deterministic_and_representative() -> None:
    rng = random.Random(6)
    values = [mobile(rng) if i % 10 < 3 else f"P{i}" for i in range(50_000)]
    a = scan_column("c", values, sample_limit=2_000)
    b = scan_column("c", iter(values), sample_limit=2_000)
    assert (a.rows, a.non_null, a.sampled, a.sampling) == (50_000, 50_000, 2_000, "reservoir")
    assert a.as_dict() == b.as_dict()  # same seed, same report, list or one-shot iterator
    assert rate(a, "mobile")[0] == pytest.approx(0.3, abs=0.04)
    assert a.finding("mobile").estimated_count == pytest.approx(15_000, rel=0.15)  # type: ignore[union-attr]
    assert scan_column("c", values, sample_limit=2_000, seed=7).seed == 7


def test_a_million_rows_are_counted_in_full_and_sampled() -> None:
    values = (None if i % 4 == 0 else f"1{3 + i % 7}{i:09d}" for i in range(1_000_000))
    result = scan_column("phone", values)
    assert (result.rows, result.non_null, result.sampled) == (1_000_000, 750_000, 10_000)
    assert result.finding("mobile").match_rate == 1.0 and result.pii  # type: ignore[union-attr]


def test_reservoir_sample_is_uniform_enough() -> None:
    hits = [0] * 10
    for seed in range(200):
        for item in reservoir_sample(iter(range(1_000)), 50, seed):
            hits[int(item) // 100] += 1
    assert all(math.isclose(h, 1_000, rel_tol=0.15) for h in hits), hits


def test_empty_column() -> None:
    result = scan_column("c", [None, "", "  "])
    assert (result.rows, result.non_null, result.sampled, result.pii) == (3, 0, 0, False)
    with pytest.raises(ValueError):
        scan_column("c", [], sample_limit=0)


def _mixed_values(rng: random.Random) -> list[object]:
    """Identifiers of every kind, whole and embedded, near misses, numbers, blanks and nulls, some repeated."""
    makers = (resident_id, uscc, bank_card, mobile, email, ipv4, plate)
    misses = (resident_id_miss, uscc_miss, bank_card_miss, mobile_miss, email_miss, ipv4_miss, plate_miss)
    values: list[object] = []
    for _ in range(40):
        for make in makers + misses:
            values.append(make(rng))
        values.append(f"请联系 {mobile(rng)} 或 {email(rng)}，车牌{plate(rng)}")
        values.append(grouped(bank_card(rng)[:16], rng.choice(" -")))
        values += [rng.random() * 100, rng.randrange(10**12), f"2024-0{rng.randrange(1, 10)}-11 08:00:00"]
    values += ["正常", "正常", "正常", "  ", "", None, float("nan"), b"13812345678", 13912345678.0] * 5
    return values


def test_scan_counts_gives_scan_column_report_for_the_same_sample() -> None:
    rng = random.Random(11)
    values = _mixed_values(rng)
    counts = Counter(values)
    population = (5_000, 4_000)
    by_value = scan_column("备注", values, population=population, seed=3)
    grouped_ = scan_counts("备注", list(counts.items()), population=population, seed=3)
    assert grouped_.as_dict() == by_value.as_dict()
    assert grouped_.sampled == sum(1 for v in values if v is not None and str(v).strip() and v == v)  # NaN: v != v
    assert len(grouped_.kinds_found) == 7 and grouped_.rows == 5_000 and grouped_.non_null == 4_000


def test_screened_values_are_counted_not_recognised_and_the_report_is_the_same() -> None:
    rng = random.Random(12)
    counts = Counter(str(v) for v in _mixed_values(rng) if v is not None)
    screen = re.compile(candidate_pattern())
    triples = [(v, n, screen.search(v) is not None) for v, n in counts.items()]
    assert any(not c for *_, c in triples) and any(c for *_, c in triples)
    plain = scan_counts("c", list(counts.items()), population=(9_000, 9_000))
    screened = scan_counts("c", triples, population=(9_000, 9_000))
    assert screened.as_dict() == plain.as_dict()


def test_the_screen_lets_through_every_text_a_recognizer_finds_something_in() -> None:
    rng = random.Random(13)
    python_screen = re.compile(candidate_pattern())
    texts = [str(v).strip() for v in _mixed_values(rng) if v is not None]
    texts += [f"ID:{resident_id(rng)}。", f"({mobile(rng)})", f"+86 {mobile(rng)}", f"mailto:{email(rng)};"]
    found = [t for t in texts if _whole_kind(t) is not None or _contained_kinds(t)]
    assert len(found) > 200
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t (v VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?)", [[t] for t in found])
        (outside,) = con.execute("SELECT count_if(NOT regexp_matches(v, ?)) FROM t", [candidate_pattern()]).fetchone()
    assert outside == 0  # RE2 (DuckDB) lets every one through
    assert [t for t in found if python_screen.search(t) is None] == []
    for plain in ("12.345678", "2024-01-01 00:15:00", "true", "设备运行正常", "SN-000123", "1.2.3"):
        assert python_screen.search(plain) is None, plain  # the screen is worth running


@pytest.mark.parametrize("times", [0, -1, 1.5, True, "3", None])
def test_scan_counts_refuses_counts_that_are_not_positive_integers(times: object) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        scan_counts("c", [("13812345678", times)], population=(10, 10))  # type: ignore[list-item]


def test_scan_counts_of_nothing_or_only_blanks() -> None:
    result = scan_counts("c", [("", 3), ("   ", 2), (None, 4)], population=(9, 0))
    assert (result.rows, result.non_null, result.sampled, result.sampling, result.pii) == (9, 0, 0, "all", False)
    assert scan_counts("联系人", [], population=(0, 0)).flagged_kinds == ("person_name",)
    with pytest.raises(ValueError):
        scan_counts("c", [("x",)], population=(1, 1))  # type: ignore[list-item]
