"""Recognizers of personal and organisational identifiers, one per kind, used by the node's sensitivity scan.

A value recognizer pairs a compiled regex that finds *candidates* with a ``validate`` check (check digits,
dates, ranges). Every pattern refuses candidates embedded in longer runs: an 18-digit number inside a
20-digit one, an IP inside a version string ``1.2.3.4.5``, a plate inside a longer alphanumeric code.
Person names cannot be told from values, so ``person_name`` is recognised from the column HEADER.

Choices worth knowing (stricter than the bare format, to keep false positives down on industrial data):
- resident ID: the first two digits must be a province-level code (11-15, 21-23, 31-37, 41-46, 50-54,
  61-65, 71, 81-83); foreigners' permanent-residence cards (first digit 9) are not counted.
- USCC: first character must be a registration authority code (1-9, A, N, Y) and characters 3-8 the
  6-digit administrative division; the check character comes from ``registry.identifiers``.
- bank card: first digit 2-6 or 9 (card schemes and domestic cards); 16-19 digits; this excludes
  millisecond timestamps and snowflake ids, which start with 1.
- plates: 5 characters after the letter, or 4 plus one of 使领警学挂港澳; new-energy plates are 6
  characters with D/F first (small cars) or last (large vehicles).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from resonance.registry.identifiers import USCC_ALPHABET, is_valid_uscc

_DIGITS = re.compile(r"[0-9]+")


def _digits(text: str) -> bool:
    return _DIGITS.fullmatch(text) is not None


# --- resident identity card, GB 11643-1999 ------------------------------------------------------------
_PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_EARLIEST_BIRTH = date(1900, 1, 1)


def resident_id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID number."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def is_valid_resident_id(candidate: str, today: date | None = None) -> bool:
    """True for an 18-character resident ID: province code, real birth date 1900-01-01..today, check char."""
    code = candidate.strip().upper()
    if len(code) != 18 or not _digits(code[:17]) or code[17] not in "0123456789X":
        return False
    if int(code[:2]) not in _PROVINCE_CODES:
        return False
    try:
        born = date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return False
    if not _EARLIEST_BIRTH <= born <= (today or date.today()):
        return False
    return resident_id_check_char(code[:17]) == code[17]


# --- unified social credit code, GB 32100-2015 ------------------------------------------------------
_USCC_AUTHORITIES = frozenset("123456789ANY")


def _valid_uscc(candidate: str) -> bool:
    code = candidate.strip().upper()
    return code[:1] in _USCC_AUTHORITIES and _digits(code[2:8]) and is_valid_uscc(code)


# --- bank card (Luhn) ---------------------------------------------------------------------------------
def luhn_ok(digits: str) -> bool:
    """Luhn (ISO/IEC 7812) check over a string of digits."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = ord(c) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _valid_bank_card(candidate: str) -> bool:
    digits = re.sub(r"[ -]", "", candidate.strip())
    return _digits(digits) and 16 <= len(digits) <= 19 and digits[0] in "234569" and luhn_ok(digits)


# --- mainland mobile number -----------------------------------------------------------------------------
def _valid_mobile(candidate: str) -> bool:
    digits = re.sub(r"[^0-9]", "", candidate)
    for prefix in ("0086", "86"):
        if len(digits) > 11 and digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    return len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789"


_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]*")
_EMAIL_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_EMAIL_TLD = re.compile(r"[A-Za-z]{2,24}")


# --- e-mail -------------------------------------------------------------------------------------------------
def _valid_email(candidate: str) -> bool:
    text = candidate.strip()
    if len(text) > 254 or text.count("@") != 1:
        return False
    local, domain = text.split("@")
    if _EMAIL_LOCAL.fullmatch(local) is None or len(local) > 64 or local[-1] == "." or ".." in local:
        return False
    labels = domain.split(".")
    if len(labels) < 2 or _EMAIL_TLD.fullmatch(labels[-1]) is None:
        return False
    return all(_EMAIL_LABEL.fullmatch(lab) is not None for lab in labels)


# --- IPv4 -----------------------------------------------------------------------------------------------------
def _valid_ipv4(candidate: str) -> bool:
    parts = candidate.strip().split(".")
    if len(parts) != 4:
        return False
    return all(_digits(p) and len(p) <= 3 and (p == "0" or p[0] != "0") and int(p) <= 255 for p in parts)


# --- vehicle licence plate, GA 36 ---------------------------------------------------------------------------
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_LETTER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_PLATE_SUFFIX = "使领警学挂港澳"


def _valid_plate(candidate: str) -> bool:
    p = candidate.strip().upper()
    if len(p) not in (7, 8) or p[0] not in PLATE_PROVINCES or p[1] not in _PLATE_LETTER:
        return False
    body = p[2:]
    alnum = set(_PLATE_LETTER + "0123456789")
    if len(body) == 5:  # 5 alphanumerics, or 4 and a suffix 使领警学挂港澳
        return all(c in alnum for c in body[:4]) and (body[4] in alnum or body[4] in _PLATE_SUFFIX)
    if len(body) == 6:  # new energy: D/F first (small) or last (large)
        small = body[0] in "DF" and body[1] in alnum and _digits(body[2:])
        large = _digits(body[:5]) and body[5] in "DF"
        return small or large
    return False


# --- patterns -----------------------------------------------------------------------------------------------------
_NB = r"(?<![0-9A-Za-z])"  # not preceded by a letter or digit
_NA = r"(?![0-9A-Za-z])"  # not followed by a letter or digit
_PL = "A-HJ-NP-Z"  # plate letters: no I, O
_PLATE_BODY = rf"(?:[DF][{_PL}0-9][0-9]{{4}}|[0-9]{{5}}[DF]|[{_PL}0-9]{{4}}[{_PLATE_SUFFIX}]|[{_PL}0-9]{{5}})"
_USCC_CLASS = USCC_ALPHABET  # 0-9 and A-Z without I, O, S, V, Z

PATTERNS: dict[str, str] = {
    "resident_id": _NB
    + r"[1-8][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
    + _NA,
    "uscc": _NB + rf"[1-9ANYany][{_USCC_CLASS}][0-9]{{6}}[{_USCC_CLASS}]{{10}}" + _NA,
    # plain digits, or 4-digit groups with one consistent separator (not part of a longer grouped run)
    "bank_card": rf"(?:{_NB}[2-69][0-9]{{15,18}}{_NA}|{_NB}(?<![0-9][ -])[2-69][0-9]{{3}}([ -])[0-9]{{4}}\1[0-9]{{4}}"
    r"\1[0-9]{4}(?:\1[0-9]{1,3})?(?![0-9A-Za-z]|[ -][0-9]))",
    "mobile": r"(?<![0-9A-Za-z+])(?:(?:\+|00)?86[ -]?)?1[3-9][0-9]([ -]?)[0-9]{4}\1[0-9]{4}" + _NA,
    "email": r"(?<![A-Za-z0-9._%+@-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9_@-])",
    "ipv4": r"(?<![0-9A-Za-z.])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}"
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?![0-9A-Za-z]|\.[0-9A-Za-z])",
    "license_plate": rf"[{PLATE_PROVINCES}][{_PL}]{_PLATE_BODY}" + _NA,
}
_FLAGS = {"uscc": re.IGNORECASE, "license_plate": re.IGNORECASE}


@dataclass(frozen=True)
class Recognizer:
    """Finds one kind of identifier in values: ``pattern`` proposes candidates, ``validate`` confirms one."""

    kind: str
    zh: str
    en: str
    pattern: re.Pattern[str]
    check: Callable[[str], bool] = field(repr=False)
    personal: bool = True  # identifies a natural person (个人信息); USCCs and device IPs do not
    sensitive: bool = False  # 敏感个人信息 (PIPL art. 28): identity documents, financial accounts

    def validate(self, candidate: str) -> bool:
        """True when ``candidate`` (a whole identifier, surrounding blanks ignored) passes the checks."""
        return self.check(candidate)

    def matches(self, value: str) -> bool:
        """True when the WHOLE trimmed value is one valid identifier of this kind."""
        text = value.strip()
        return self.pattern.fullmatch(text) is not None and self.check(text)

    def finditer(self, text: str) -> Iterator[tuple[int, int]]:
        """Spans ``(start, end)`` of valid identifiers embedded in free text (never the text itself)."""
        for m in self.pattern.finditer(text):
            if self.check(m.group(0)):
                yield m.span()


def _r(
    kind: str, zh: str, en: str, check: Callable[[str], bool], personal: bool = True, sensitive: bool = False
) -> Recognizer:
    return Recognizer(kind, zh, en, re.compile(PATTERNS[kind], _FLAGS.get(kind, 0)), check, personal, sensitive)


# Order matters: a value that is a whole identifier of several kinds counts for the first (most specific).
VALUE_RECOGNIZERS: tuple[Recognizer, ...] = (
    _r("resident_id", "居民身份证号", "Resident ID number", is_valid_resident_id, sensitive=True),
    _r("uscc", "统一社会信用代码", "Unified social credit code", _valid_uscc, personal=False),
    _r("bank_card", "银行卡号", "Bank card number", _valid_bank_card, sensitive=True),
    _r("mobile", "手机号码", "Mobile phone number", _valid_mobile),
    _r("email", "电子邮箱", "E-mail address", _valid_email),
    _r("ipv4", "IPv4地址", "IPv4 address", _valid_ipv4, personal=False),
    _r("license_plate", "机动车号牌", "Vehicle licence plate", _valid_plate),
)


# --- person names, by column header -----------------------------------------------------------------------------
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EN_JOINED = _words(
    "fullname firstname lastname surname givenname familyname forename middlename realname "
    "contactperson contactname operatorname personname employeename cardholder cardholdername "
    "legalrepresentative legalperson"
)
_EN_QUALIFIERS = _words(
    "full first last given family middle real contact operator person personal individual employee emp staff "
    "patient driver applicant recipient receiver consignee consignor sender worker inspector technician engineer "
    "holder cardholder representative rep student teacher doctor nurse member"
)
_EN_ROLES = _words("operator inspector driver applicant recipient consignee representative cardholder")
_EN_PERSON_NOUN = frozenset({"person", "persons"})
_EN_IGNORED = frozenset({"zh", "cn", "en", "pinyin", "py", "chs", "eng"})
_ZH_ROLES = (
    "联系人", "负责人", "操作员", "操作人", "法人代表", "法定代表人", "经办人", "收货人", "收件人", "寄件人", "发货人",
    "申请人", "审批人", "审核人", "签收人", "持卡人", "开户人", "驾驶员", "司机", "巡检员", "质检员", "检验员",
    "维修员", "维修人", "值班员", "值班人", "责任人", "投保人", "被保险人", "受益人", "户主", "患者", "病人",
)  # fmt: skip
_ZH_PERSON_PREFIXES = ("员工", "职工", "客户", "用户", "学员", "人员", "个人", "本人", "家属", "会员", *_ZH_ROLES)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_ZH_TRAILER = re.compile(r"(?:[_\-.]?(?:cn|zh|en|py|pinyin|[0-9]+))?[:：]?$", re.IGNORECASE)
_PAREN = re.compile(r"[（(]([^()（）]*)[)）]")


def _en_tokens(header: str) -> list[str]:
    spaced = _CAMEL.sub("_", header)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t and t not in _EN_IGNORED]


def _zh_is_person(header: str) -> bool:
    notes = " ".join(_PAREN.findall(header))
    core = re.sub(r"\s+", "", _PAREN.sub("", header))
    core = _ZH_TRAILER.sub("", core)  # 姓名_cn, 联系人1, 姓名：
    if core.endswith("姓名"):
        return True
    if core.endswith("名字"):
        prefix = core[: -len("名字")]
        return prefix == "" or prefix.endswith(_ZH_PERSON_PREFIXES)
    if core.endswith(_ZH_ROLES):
        return True
    return core.endswith("名称") and ("个人" in core or "个人" in notes)


def is_person_name_header(header: str) -> bool:
    """True for a column header that names people (姓名, 联系人, full_name…), not things (产品名称, file_name)."""
    if re.search(r"[\u4e00-\u9fff]", header):
        return _zh_is_person(header)
    tokens = _en_tokens(header)
    if not tokens:
        return False
    last = tokens[-1]
    if last in _EN_JOINED or last in _EN_ROLES:
        return True
    if last in _EN_PERSON_NOUN:  # contact_person, responsible_person; not person_count
        return True
    if last in ("individual", "personal") and "name" in tokens:  # customer_name_personal
        return True
    if last in ("name", "names"):
        return len(tokens) == 1 or tokens[-2] in _EN_QUALIFIERS or tokens[-2] in _EN_JOINED
    return False


@dataclass(frozen=True)
class HeaderRecognizer:
    """Recognises a kind from the column header alone (person names: values cannot be told from words)."""

    kind: str
    zh: str
    en: str
    check: Callable[[str], bool] = field(repr=False)
    personal: bool = True
    sensitive: bool = False

    def validate(self, header: str) -> bool:
        """True when ``header`` names a column of this kind."""
        return self.check(header)


HEADER_RECOGNIZERS: tuple[HeaderRecognizer, ...] = (
    HeaderRecognizer("person_name", "个人姓名", "Person name", is_person_name_header),
)

RECOGNIZERS: dict[str, Recognizer | HeaderRecognizer] = {r.kind: r for r in (*VALUE_RECOGNIZERS, *HEADER_RECOGNIZERS)}
KINDS: tuple[str, ...] = tuple(RECOGNIZERS)
