"""Every recognizer against ≥ 1,000 generated positives and ≥ 1,000 near-miss negatives (seeded).

Near misses are what a careless pattern lets through: a wrong check character, an impossible birth date,
a letter the alphabet forbids, one digit too many or too few, an octet of 256. Precision and recall must
both be ≥ 0.99; the measured figures are in the assertion message (and printed with ``pytest -s``).
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from resonance.node.sensitivity.recognizers import (
    PLATE_PROVINCES,
    RECOGNIZERS,
    is_person_name_header,
    luhn_ok,
    resident_id_check_char,
)
from resonance.registry.identifiers import USCC_ALPHABET, uscc_check_char

N = 1200
PROVINCES = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54]
PROVINCES += [61, 62, 63, 64, 65, 71, 81, 82, 83]
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PLATE_ALNUM = PLATE_LETTERS + string.digits


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


# --- resident ID --------------------------------------------------------------------------------------------
def id_body(rng: random.Random, born: date | None = None) -> str:
    born = born or date(1900, 1, 1) + timedelta(days=rng.randrange((date(2024, 12, 31) - date(1900, 1, 1)).days))
    return f"{rng.choice(PROVINCES)}{digits(rng, 4)}{born:%Y%m%d}{digits(rng, 3)}"


def resident_id(rng: random.Random) -> str:
    body = id_body(rng)
    check = resident_id_check_char(body)
    return body + (check.lower() if check == "X" and rng.random() < 0.5 else check)


def resident_id_miss(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:  # wrong check character
        body = id_body(rng)
        return body + rng.choice([c for c in "0123456789X" if c != resident_id_check_char(body)])
    if kind in (1, 2):  # impossible date, correct check character
        y, m, d = rng.choice([(1990, 13, 1), (1990, 0, 10), (1991, 2, 30), (1899, 12, 31), (2099, 1, 1), (1985, 4, 31)])
        body = f"{rng.choice(PROVINCES)}{digits(rng, 4)}{y:04d}{m:02d}{d:02d}{digits(rng, 3)}"
        return body + resident_id_check_char(body)
    if kind == 3:  # no such province
        body = f"{rng.choice([10, 16, 20, 30, 40, 47, 60, 70, 80, 84, 90, 99])}{id_body(rng)[2:]}"
        return body + resident_id_check_char(body)
    valid = resident_id(rng)
    return valid[:-1] if kind == 4 else valid + rng.choice(string.digits)  # 17 or 19 characters


# --- USCC ---------------------------------------------------------------------------------------------------
def uscc(rng: random.Random) -> str:
    head = rng.choice("123456789ANY") + rng.choice("1239") + digits(rng, 6)
    body = head + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    code = body + uscc_check_char(body)
    return code.lower() if rng.random() < 0.05 else code


def uscc_miss(rng: random.Random) -> str:
    code = uscc(rng).upper()
    kind = rng.randrange(4)
    if kind == 0:  # wrong check character
        return code[:17] + rng.choice([c for c in USCC_ALPHABET if c != code[17]])
    if kind == 1:  # a letter GB 32100 forbids, anywhere after the area code
        i = rng.randrange(8, 18)
        return code[:i] + rng.choice("IOSVZ") + code[i + 1 :]
    if kind == 2:  # 17 or 19 characters
        return code[:17] if rng.random() < 0.5 else code + rng.choice(USCC_ALPHABET)
    body = rng.choice("0BCDEFG") + code[1:17]  # no such registration authority, correct check character
    return body + uscc_check_char(body)


# --- bank card ----------------------------------------------------------------------------------------------
def luhn_complete(partial: str) -> str:
    return next(partial + c for c in string.digits if luhn_ok(partial + c))


def card_digits(rng: random.Random, length: int | None = None) -> str:
    length = length or rng.randint(16, 19)
    prefix = rng.choice(["62", "622202", "621700", "4", "5", "35", "6011", "9558", "2221"])
    return luhn_complete(prefix + digits(rng, length - len(prefix) - 1))


def grouped(number: str, sep: str) -> str:
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


def bank_card(rng: random.Random) -> str:
    number = card_digits(rng)
    return grouped(number, rng.choice(" -")) if rng.random() < 0.3 else number


def bank_card_miss(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:  # fails Luhn
        number = card_digits(rng)
        return number[:-1] + str((int(number[-1]) + rng.randint(1, 9)) % 10)
    if kind == 1:  # 15 or 20 digits, Luhn-valid
        return card_digits(rng, rng.choice([15, 20]))
    if kind == 2:  # mixed separators
        g = grouped(card_digits(rng, 16), " ")
        return g[:9] + "-" + g[10:]
    if kind == 3:  # 13-digit millisecond timestamp padded to 16+ with a valid Luhn digit: starts with 1
        return luhn_complete("1" + digits(rng, rng.randint(14, 17)))
    return grouped(card_digits(rng, 16), " ") + " " + digits(rng, 4)  # a fifth group of four: 20 digits


# --- mobile -------------------------------------------------------------------------------------------------
def mobile(rng: random.Random) -> str:
    number = "1" + rng.choice("3456789") + digits(rng, 9)
    if rng.random() < 0.3:
        sep = rng.choice(" -")
        number = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    if rng.random() < 0.3:
        number = rng.choice(["+86", "0086", "86"]) + rng.choice(["", " ", "-"]) + number
    return number


def mobile_miss(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:  # 10 or 12 digits
        return "1" + rng.choice("3456789") + digits(rng, rng.choice([8, 10]))
    if kind == 1:  # no such network: 10x, 11x, 12x
        return "1" + rng.choice("012") + digits(rng, 9)
    if kind == 2:  # does not start with 1
        return rng.choice("023456789") + rng.choice("3456789") + digits(rng, 9)
    number = "1" + rng.choice("3456789") + digits(rng, 9)
    return f"{number[:3]} {number[3:7]}-{number[7:]}"  # inconsistent grouping


# --- e-mail -------------------------------------------------------------------------------------------------
def word(rng: random.Random, lo: int = 2, hi: int = 10) -> str:
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(rng.randint(lo, hi)))


def email(rng: random.Random) -> str:
    local = word(rng) + (rng.choice("._+-") + word(rng) if rng.random() < 0.5 else "")
    domain = ".".join(word(rng) for _ in range(rng.randint(1, 3)))
    return f"{local}@{domain}.{rng.choice(['com', 'cn', 'org', 'net', 'edu', 'io', 'com.cn'])}"


def email_miss(rng: random.Random) -> str:
    local, domain = email(rng).split("@")
    kind = rng.randrange(7)
    return [
        f"{local}@{domain.split('.')[0]}",  # no TLD
        f"{local}@@{domain}",  # double @
        f"{local}@{word(rng)}@{domain}",  # two @
        f".{local}@{domain}",  # leading dot
        f"{local}..{word(rng)}@{domain}",  # consecutive dots
        f"{local} {word(rng)}@{domain}",  # blank inside
        f"{local}@{domain}.{rng.randint(1, 99)}",  # numeric TLD
    ][kind]


# --- IPv4 ---------------------------------------------------------------------------------------------------
def ipv4(rng: random.Random) -> str:
    return ".".join(str(rng.choice([rng.randint(0, 9), rng.randint(10, 99), rng.randint(100, 255)])) for _ in range(4))


def ipv4_miss(rng: random.Random) -> str:
    parts = ipv4(rng).split(".")
    kind = rng.randrange(4)
    i = rng.randrange(4)
    if kind == 0:
        parts[i] = str(rng.randint(256, 999))
    elif kind == 1:
        parts[i] = "0" + str(rng.randint(0, 99))
    elif kind == 2:
        parts.append(str(rng.randint(0, 255)))  # five parts, e.g. a version string
    else:
        parts.pop()
    return ".".join(parts)


# --- licence plate ------------------------------------------------------------------------------------------
def plate(rng: random.Random) -> str:
    head = rng.choice(PLATE_PROVINCES) + rng.choice(PLATE_LETTERS)
    kind = rng.randrange(4)
    if kind == 0:
        return head + "".join(rng.choice(PLATE_ALNUM) for _ in range(5))
    if kind == 1:  # small new-energy
        return head + rng.choice("DF") + rng.choice(PLATE_ALNUM) + digits(rng, 4)
    if kind == 2:  # large new-energy
        return head + digits(rng, 5) + rng.choice("DF")
    return head + "".join(rng.choice(PLATE_ALNUM) for _ in range(4)) + rng.choice("使领警学挂港澳")


def plate_miss(rng: random.Random) -> str:
    valid = plate(rng)
    kind = rng.randrange(4)
    if kind == 0:  # I or O as the issuing letter or in the body
        i = rng.choice([1, rng.randrange(2, 6)])
        return valid[:i] + rng.choice("IO") + valid[i + 1 :]
    if kind == 1:  # no such province abbreviation
        return rng.choice("北东南西中港台华山海") + valid[1:]
    if kind == 2:  # four characters, no suffix
        return valid[:2] + "".join(rng.choice(PLATE_ALNUM) for _ in range(4))
    return (
        valid[:2]
        + "".join(rng.choice(PLATE_ALNUM.replace("D", "").replace("F", "")) for _ in range(2))
        + digits(rng, 4)
    )  # 6 characters without D/F


# --- person-name headers ------------------------------------------------------------------------------------
EN_PERSON = [
    "full",
    "first",
    "last",
    "given",
    "family",
    "middle",
    "real",
    "contact",
    "operator",
    "person",
    "employee",
    "staff",
    "patient",
    "driver",
    "applicant",
    "recipient",
    "consignee",
    "inspector",
    "cardholder",
]
EN_THING = [
    "product",
    "file",
    "machine",
    "dataset",
    "device",
    "equipment",
    "table",
    "column",
    "host",
    "company",
    "org",
    "project",
    "model",
    "part",
    "material",
    "station",
    "line",
    "plant",
    "brand",
    "item",
    "sku",
    "category",
    "field",
    "process",
    "task",
    "job",
    "tool",
    "server",
    "app",
    "sheet",
    "user",
    "display",
    "customer",
    "supplier",
    "vendor",
    "sensor",
    "site",
    "workshop",
    "batch",
    "domain",
]
ZH_ROLES = [
    "联系人",
    "负责人",
    "操作员",
    "操作人",
    "法人代表",
    "法定代表人",
    "经办人",
    "收货人",
    "申请人",
    "审核人",
    "驾驶员",
    "巡检员",
    "质检员",
    "检验员",
    "值班员",
    "责任人",
]
ZH_PEOPLE = ["员工", "客户", "用户", "职工", "学员", "个人", *ZH_ROLES]
ZH_THINGS = [
    "设备",
    "产品",
    "文件",
    "机器",
    "数据集",
    "企业",
    "公司",
    "单位",
    "项目",
    "物料",
    "工序",
    "客户",
    "供应商",
    "车间",
    "产线",
    "工厂",
    "模型",
    "部门",
    "品牌",
    "型号",
    "仓库",
    "传感器",
    "批次",
    "站点",
]
ZH_ATTRS = ["电话", "手机", "邮箱", "编号", "工号", "ID", "地址", "部门", "职务", "数量", "类型", "签字日期", "证件号"]


def styled(rng: random.Random, tokens: list[str]) -> str:
    style = rng.randrange(5)
    if style == 0:
        return "_".join(tokens)
    if style == 1:
        return tokens[0] + "".join(t.capitalize() for t in tokens[1:])
    if style == 2:
        return "_".join(tokens).upper()
    if style == 3:
        return " ".join(t.capitalize() for t in tokens)
    return "-".join(tokens)


def with_suffix(rng: random.Random, header: str) -> str:
    return header + rng.choice(["", "", "", "_cn", "_zh", "_en", "1", "2", "（个人）" if rng.random() < 0.1 else ""])


def person_header(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return styled(rng, [rng.choice(EN_PERSON), "name"]) + rng.choice(["", "", "_cn", "_en", "_pinyin"])
    if kind == 1:
        return styled(
            rng,
            rng.choice(
                [
                    ["surname"],
                    ["contact", "person"],
                    ["responsible", "person"],
                    ["name"],
                    ["legal", "representative"],
                    ["operator"],
                    ["first", "name"],
                ]
            ),
        )
    if kind == 2:
        return with_suffix(rng, rng.choice([*ZH_PEOPLE, ""]) + rng.choice(["姓名", "名字"]))
    if kind == 3:
        return with_suffix(rng, rng.choice(["", "项目", "设备", "现场", "安全", "班组", "质量"]) + rng.choice(ZH_ROLES))
    if kind == 4:
        return rng.choice(["客户名称(个人)", "客户名称（个人）", "个人客户名称", "用户名称（个人）"])
    return rng.choice(ZH_ROLES) + rng.choice(["姓名", "名字"])


def person_header_miss(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        return styled(rng, [rng.choice(EN_THING), "name"])
    if kind == 1:
        return styled(
            rng,
            [
                rng.choice([*EN_PERSON, "contact"]),
                rng.choice(["id", "phone", "email", "no", "code", "count", "type", "address", "dept"]),
            ],
        )
    if kind == 2:  # 客户名称 is a company unless marked 个人; 客户名字 is a person, so not generated here
        thing = rng.choice(ZH_THINGS)
        return thing + rng.choice(["名称", "名"] + ([] if thing == "客户" else ["名字"]))
    if kind == 3:
        return rng.choice(ZH_PEOPLE) + rng.choice(ZH_ATTRS)
    return styled(rng, [rng.choice(EN_THING), rng.choice(["name", "title", "label"]), rng.choice(["zh", "en", "cn"])])


# --- the measurement ----------------------------------------------------------------------------------------
Gen = Callable[[random.Random], str]
CASES: dict[str, tuple[Gen, Gen]] = {
    "resident_id": (resident_id, resident_id_miss),
    "uscc": (uscc, uscc_miss),
    "bank_card": (bank_card, bank_card_miss),
    "mobile": (mobile, mobile_miss),
    "email": (email, email_miss),
    "ipv4": (ipv4, ipv4_miss),
    "license_plate": (plate, plate_miss),
    "person_name": (person_header, person_header_miss),
}


def generate(gen: Gen, seed: int, minimum: int = 1000) -> list[str]:
    rng = random.Random(seed)
    seen: dict[str, None] = {}
    for _ in range(50 * N):
        seen[gen(rng)] = None
        if len(seen) >= N:
            break
    assert len(seen) >= minimum, f"{gen.__name__} made only {len(seen)} distinct strings"
    return list(seen)


def accepts(kind: str, text: str) -> bool:
    recognizer = RECOGNIZERS[kind]
    return recognizer.validate(text) if kind == "person_name" else recognizer.matches(text)  # type: ignore[union-attr]


def measure(kind: str) -> tuple[float, float, list[str], list[str]]:
    positives_gen, negatives_gen = CASES[kind]
    positives = generate(positives_gen, seed=1)
    negatives = generate(negatives_gen, seed=2)
    missed = [p for p in positives if not accepts(kind, p)]
    false = [n for n in negatives if accepts(kind, n)]
    tp = len(positives) - len(missed)
    precision = tp / (tp + len(false)) if tp + len(false) else 0.0
    recall = tp / len(positives)
    return precision, recall, missed, false


@pytest.mark.parametrize("kind", list(CASES))
def test_precision_and_recall(kind: str) -> None:
    precision, recall, missed, false = measure(kind)
    figures = (
        f"{kind}: precision {precision:.4f}, recall {recall:.4f}; missed e.g. {missed[:3]}, false e.g. {false[:3]}"
    )
    print(figures)
    assert precision >= 0.99 and recall >= 0.99, figures


def test_every_kind_is_measured() -> None:
    assert set(CASES) == set(RECOGNIZERS)


# --- specific cases -----------------------------------------------------------------------------------------
def spans(kind: str, text: str) -> list[tuple[int, int]]:
    return list(RECOGNIZERS[kind].finditer(text))  # type: ignore[union-attr]


def test_embedded_in_longer_runs_does_not_match() -> None:
    rng = random.Random(7)
    for _ in range(200):
        rid, card, phone = resident_id(rng).upper(), card_digits(rng, 16), "1" + rng.choice("3456789") + digits(rng, 9)
        code = uscc(rng).upper()
        for kind, value in (("resident_id", rid), ("bank_card", card), ("mobile", phone), ("uscc", code)):
            for text in (f"9{value}", f"{value}7", f"12{value}34", f"订单号{value}0号"):
                # the longer run may itself be valid (a 17-digit card); the embedded value must never be found
                run = re.search(r"[0-9A-Z]+", text)
                assert run is not None
                assert all(span == run.span() for span in spans(kind, text)), (kind, text)
        assert not spans("uscc", f"A{code}") and not spans("uscc", f"{code}Q")
        assert not spans("license_plate", plate(rng) + "7")


def test_found_inside_free_text() -> None:
    rng = random.Random(8)
    rid, code, card, phone = resident_id(rng), uscc(rng), card_digits(rng, 19), mobile(rng)
    text = (
        f"客户身份证号{rid}，单位代码：{code}；卡号 {card} 手机{phone}，"
        "邮件 a.b@example.com.cn。服务器10.1.2.3:8080，车牌粤B12345。"
    )
    for kind in ("resident_id", "uscc", "bank_card", "mobile", "email", "ipv4", "license_plate"):
        assert len(spans(kind, text)) == 1, kind


def test_ipv4_not_part_of_a_version_string() -> None:
    for text in ("version 1.2.3.4.5", "v1.2.3.4", "1.2.3.4.5", "build 10.0.0.1.2", "256.1.1.1", "1.2.3.04"):
        assert not spans("ipv4", text), text
    assert spans("ipv4", "gateway 192.168.1.1.") == [(8, 19)]  # a sentence's full stop is not a fifth part


@pytest.mark.parametrize("first", list("ANY123459"))
def test_uscc_valid_first_characters_accepted(first: str) -> None:
    body = first + "1" + "110108" + "MA01ABCD3"
    assert RECOGNIZERS["uscc"].matches(body + uscc_check_char(body))  # type: ignore[union-attr]


@pytest.mark.parametrize("length", [16, 17, 18, 19])
def test_unionpay_62_cards_of_16_to_19_digits_accepted(length: int) -> None:
    rng = random.Random(length)
    for _ in range(50):
        number = luhn_complete("62" + digits(rng, length - 3))
        recognizer = RECOGNIZERS["bank_card"]
        assert recognizer.matches(number), number  # type: ignore[union-attr]
        assert recognizer.matches(grouped(number, " ")), grouped(number, " ")  # type: ignore[union-attr]


def test_resident_id_x_check_character_in_either_case() -> None:
    rng = random.Random(9)
    while True:
        body = id_body(rng)
        if resident_id_check_char(body) == "X":
            break
    assert RECOGNIZERS["resident_id"].matches(body + "X") and RECOGNIZERS["resident_id"].matches(body + "x")  # type: ignore[union-attr]
    assert not RECOGNIZERS["resident_id"].matches(body + "0")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "value",
    ["+86 138 1234 5678", "+86-13812345678", "0086 13812345678", "8613812345678", "138-1234-5678", " 13812345678 "],
)
def test_mobile_prefixes_and_grouping(value: str) -> None:
    assert RECOGNIZERS["mobile"].matches(value)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "header",
    [
        "姓名",
        "名字",
        "联系人",
        "负责人",
        "操作员",
        "客户名称(个人)",
        "法人代表",
        "name",
        "full_name",
        "first_name",
        "last_name",
        "surname",
        "contact_person",
        "operator_name",
        "FullName",
        "Name",
        "联系人姓名",
        "项目负责人",
        "姓名_cn",
    ],
)
def test_person_name_headers(header: str) -> None:
    assert is_person_name_header(header)


@pytest.mark.parametrize(
    "header",
    [
        "product_name",
        "file_name",
        "machine_name",
        "dataset_name",
        "设备名称",
        "产品名称",
        "客户名称",
        "username",
        "hostname",
        "联系人电话",
        "负责人工号",
        "operator_id",
        "name_of_part",
        "企业名称",
        "contact_phone",
    ],
)
def test_not_person_name_headers(header: str) -> None:
    assert not is_person_name_header(header)
