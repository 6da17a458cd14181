"""The generated table of ``benchmarks/profile.py``: N rows x M columns of mixed industrial data, by DuckDB SQL.

Every value is a pure function of the row number ``i`` (DuckDB's ``hash(i, salt)``), so the table is the same
on every run and the first ``n`` rows of a large table are exactly the table of ``n`` rows: a sample file for
a slow comparator is the head of the full file, written the same way.

The 50 template columns (``--cols`` takes them round-robin across the groups below, so that fewer columns
still mix the types; more than 50 repeat the template with new salts and a ``_rK`` suffix):

* integers: row id, line (12), shift (3), batch (100k), counter (unique), defect count (Poisson-like),
  year built (3% null), serial number (10^12 range), status code (4 values);
* floats: twelve sensor-like columns (normal, log-normal, uniform; some with nulls, one with rare outliers);
* categoricals (text): cardinality 2, 3, 5, 10, 31 (provinces), 200, 1,000, 10,000, ~100,000 and ~1,000,000;
* time: a regular 1-minute series, random timestamps over five years, random dates, timestamps with 20% nulls;
* booleans: 95% true, 10% true;
* free text: Chinese remarks (15% with an embedded mobile number), English descriptions with commas (quoted
  in the CSV), log lines;
* PII: mainland mobile numbers, 18-digit resident ID numbers with a valid ISO 7064 MOD 11-2 check character
  and real birth dates, e-mail addresses, Chinese person names under a ``负责人`` header, mobile numbers
  written ``+86 138-1234-5678`` (10% null);
* awkward: a unique sensor serial, a constant unit, a 90% null note, numbers stored as text with ``N/A``, dates
  stored as text with ``unknown``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

VERSION = 1  # bump when a column changes: cached files with another version are written again

PROVINCES: tuple[int, ...] = (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46)
PROVINCES += (50, 51, 52, 53, 54, 61, 62, 63, 64, 65)


def _words(text: str) -> list[str]:
    return text.split()


PROVINCE_NAMES = _words(
    "北京 天津 河北 山西 内蒙古 辽宁 吉林 黑龙江 上海 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 广西 海南 "
    "重庆 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆"
)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SURNAMES = _words("王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 马 罗")
GIVEN = _words("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀 霞 平 刚 桂 英 华 建 国 文 辉 鹏 宇")
PINYIN = _words("wang li zhang liu chen yang zhao huang zhou wu xu sun hu zhu gao lin he guo ma luo")
DOMAINS = _words("qq.com 163.com 126.com sina.com gmail.com example.com.cn foxmail.com chinasteel.cn")
MATERIALS = _words("碳钢 不锈钢 铝合金 铜 钛合金")
TEAMS = [f"{c}班" for c in "甲乙丙丁戊己庚辛壬癸"]
ZH_DEVICES = _words("主轴 冷却泵 液压站 传送带 电机 变频器 轴承 减速机 风机 加热炉")
ZH_STATES = _words("运行正常 温度偏高 振动异常 已停机检修 润滑不足 噪声增大 待更换配件 参数已调整")
EN_WORDS = _words(
    "spindle bearing coolant pressure drift alarm torque wear inspection batch shift operator sensor "
    "calibration valve motor gearbox vibration furnace rolling mill conveyor maintenance scheduled "
    "replaced checked stable unstable minor major"
)
LOG_LEVELS = _words("INFO INFO INFO WARN ERROR DEBUG")


def _list(values: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _pick(values: list[str] | tuple[str, ...], salt: int) -> str:
    return f"{_list(values)}[1 + (hash(i, {salt}) % {len(values)})::INTEGER]"


def _u(salt: int) -> str:
    """Uniform in [0, 1)."""
    return f"((hash(i, {salt}) % 1000003)::DOUBLE / 1000003)"


def _normal(salt: int) -> str:
    """About N(0, 1): the sum of four uniforms, centred and scaled."""
    return f"(({_u(salt)} + {_u(salt + 1)} + {_u(salt + 2)} + {_u(salt + 3)} - 2) * 1.7320508)"


def _digits(salt: int, width: int) -> str:
    """``width`` decimal digits, zero-padded."""
    return f"lpad((hash(i, {salt}) % {10**width})::VARCHAR, {width}, '0')"


def _null(expr: str, salt: int, per_mille: int) -> str:
    return f"CASE WHEN hash(i, {salt}) % 1000 < {per_mille} THEN NULL ELSE {expr} END"


def _mobile(s: int) -> str:
    return f"'1' || {_pick(list('3456789'), s)} || {_digits(s + 1, 9)}"


def _resident_id_first17(s: int) -> str:
    area = f"lpad((hash(i, {s + 1}) % 10000)::VARCHAR, 4, '0')"
    birth = f"strftime(DATE '1950-01-01' + (hash(i, {s + 2}) % 20000)::INTEGER, '%Y%m%d')"
    seq = f"lpad((hash(i, {s + 3}) % 1000)::VARCHAR, 3, '0')"
    return f"{_pick([str(p) for p in PROVINCES], s)} || {area} || {birth} || {seq}"


def _check_char(first17: str) -> str:
    weights = "[" + ", ".join(str(w) for w in ID_WEIGHTS) + "]"
    total = (
        f"list_sum(list_transform(range(17), lambda j: (ascii(substr({first17}, j + 1, 1)) - 48) * {weights}[j + 1]))"
    )
    return f"substr('10X98765432', 1 + ({total} % 11)::INTEGER, 1)"


def _groups(s: int) -> list[list[tuple[str, str]]]:
    """(name, SQL expression over i) per column, in groups of one kind; ``s`` offsets every salt."""
    n = _normal
    return [
        [  # integers
            ("record_id", "i + 1"),
            ("line_id", f"1 + hash(i, {s + 1}) % 12"),
            ("shift_no", f"1 + hash(i, {s + 2}) % 3"),
            ("batch_no", f"hash(i, {s + 3}) % 100000"),
            ("counter", f"i * 3 + hash(i, {s + 4}) % 3"),
            ("defect_count", f"floor(-ln(1 - {_u(s + 5)}) * 0.7)::INTEGER"),
            ("year_built", _null(f"1990 + hash(i, {s + 6}) % 35", s + 7, 30)),
            ("serial_no", f"(hash(i, {s + 8}) % 1000000000000)::BIGINT"),
            ("status_code", f"[200, 201, 404, 500][1 + (hash(i, {s + 9}) % 4)::INTEGER]"),
        ],
        [  # floats
            ("temperature_c", f"round(60 + 8 * {n(s + 10)}, 2)"),
            ("pressure_kpa", f"round(101.3 + 2 * {n(s + 14)}, 3)"),
            (
                "vibration_mm_s",
                f"round(abs({n(s + 18)}) * 2.5 * CASE WHEN hash(i, {s + 22}) % 10000 = 0 THEN 50 ELSE 1 END, 3)",
            ),
            ("rpm", f"round(1500 + 200 * {n(s + 23)}, 1)"),
            ("power_kw", _null(f"round(30 + 250 * {_u(s + 27)}, 2)", s + 28, 50)),
            ("humidity_pct", f"round(20 + 60 * {_u(s + 29)}, 1)"),
            ("voltage_v", f"round(380 + 5 * {n(s + 30)}, 2)"),
            ("current_a", f"round(12 + 3 * {n(s + 34)}, 3)"),
            ("flow_m3h", f"round(exp({n(s + 38)}) * 40, 4)"),
            ("ph", f"round(7 + 0.3 * {n(s + 42)}, 2)"),
            ("efficiency", f"round(0.6 + 0.3 * {_u(s + 46)}, 4)"),
            ("torque_nm", _null(f"round(40 + 10 * {n(s + 47)}, 2)", s + 51, 10)),
        ],
        [  # categoricals
            ("厂区", _pick(["北厂", "南厂"], s + 52)),
            ("grade", _pick(["A", "B", "C"], s + 53)),
            ("材质", _pick(MATERIALS, s + 54)),
            ("班组", _pick(TEAMS, s + 55)),
            ("省份", _pick(PROVINCE_NAMES, s + 56)),
            ("product_code", f"'P' || lpad((hash(i, {s + 57}) % 200)::VARCHAR, 4, '0')"),
            ("machine_id", f"'M-' || lpad((hash(i, {s + 58}) % 1000)::VARCHAR, 4, '0')"),
            ("supplier_id", f"'SUP' || lpad((hash(i, {s + 59}) % 10000)::VARCHAR, 5, '0')"),
            ("customer_ref", f"'C' || upper(printf('%05x', hash(i, {s + 60}) % 100000))"),
            ("lot_uuid", f"substr(md5((i + {s})::VARCHAR), 1, 16)"),
        ],
        [  # time
            ("event_time", "TIMESTAMP '2024-01-01 00:00:00' + to_minutes(i)"),
            (
                "recorded_at",
                f"TIMESTAMP '2020-01-01 00:00:00' + to_seconds((hash(i, {s + 61}) % 157766400)::BIGINT)",
            ),
            ("ship_date", f"DATE '2023-01-01' + (hash(i, {s + 62}) % 1095)::INTEGER"),
            (
                "maintenance_time",
                _null(
                    f"TIMESTAMP '2022-06-01 08:00:00' + to_minutes((hash(i, {s + 63}) % 1000000)::BIGINT)", s + 64, 200
                ),
            ),
        ],
        [  # booleans
            ("passed_qc", f"hash(i, {s + 65}) % 100 < 95"),
            ("is_rework", f"hash(i, {s + 66}) % 10 = 0"),
        ],
        [  # free text
            (
                "备注",
                f"{_pick(ZH_DEVICES, s + 67)} || {_pick(ZH_STATES, s + 68)} || '，' || {_pick(TEAMS, s + 69)} || "
                f"'已记录' || CASE WHEN hash(i, {s + 70}) % 100 < 15 "
                f"THEN '，请联系 ' || {_mobile(s + 71)} ELSE '。' END",
            ),
            (
                "description",
                " || ' ' || ".join(_pick(EN_WORDS, s + 73 + k) for k in range(6))
                + f" || ', ' || {_pick(EN_WORDS, s + 79)} || ' ' || {_pick(EN_WORDS, s + 80)}"
                + f" || CASE WHEN hash(i, {s + 81}) % 3 = 0 "
                + f"THEN ', \"noted\" by ' || {_pick(PINYIN, s + 82)} ELSE '' END",
            ),
            (
                "log_message",
                f"{_pick(LOG_LEVELS, s + 83)} || ' [' || {_pick(ZH_DEVICES, s + 84)} || '] code=' || "
                f"(hash(i, {s + 85}) % 900 + 100)::VARCHAR || ' t=' || (hash(i, {s + 86}) % 100000)::VARCHAR || 'ms'",
            ),
        ],
        [  # PII
            ("联系电话", _mobile(s + 87)),
            ("身份证号", "rid"),
            (
                "email",
                f"{_pick(PINYIN, s + 93)} || '.' || (hash(i, {s + 94}) % 100000)::VARCHAR || '@' || "
                f"{_pick(DOMAINS, s + 95)}",
            ),
            ("负责人", f"{_pick(SURNAMES, s + 96)} || {_pick(GIVEN, s + 97)} || {_pick(GIVEN, s + 98)}"),
            (
                "手机",
                _null(
                    f"'+86 1' || {_pick(list('3456789'), s + 99)} || {_digits(s + 100, 1)} || '-' || "
                    f"{_digits(s + 101, 4)} || '-' || {_digits(s + 102, 4)}",
                    s + 103,
                    100,
                ),
            ),
        ],
        [  # awkward
            ("sensor_serial", f"'SN' || lpad(((i * 7919 + {s}) % 10000000000)::VARCHAR, 10, '0')"),
            ("unit", "'kWh'"),
            ("note", _null(f"'复检' || (hash(i, {s + 104}) % 50)::VARCHAR || '次'", s + 105, 900)),
            (
                "score_text",
                f"CASE WHEN hash(i, {s + 106}) % 100 < 3 THEN 'N/A' ELSE round(50 + 10 * {n(s + 107)}, 1)::VARCHAR END",
            ),
            (
                "inspect_date_text",
                f"CASE WHEN hash(i, {s + 111}) % 100 < 3 THEN 'unknown' "
                f"ELSE strftime(DATE '2021-01-01' + (hash(i, {s + 112}) % 1400)::INTEGER, '%Y-%m-%d') END",
            ),
        ],
    ]


def columns(count: int) -> list[tuple[str, str, int]]:
    """``count`` (name, expression, salt offset) taken round-robin across the groups, repeating with new salts."""
    out: list[tuple[str, str, int]] = []
    rep = 0
    while len(out) < count:
        salt = rep * 1000
        groups = _groups(salt)
        longest = max(len(g) for g in groups)
        for k in range(longest):
            for group in groups:
                if k < len(group) and len(out) < count:
                    name, expr = group[k]
                    out.append((name if rep == 0 else f"{name}_r{rep + 1}", expr, salt))
        rep += 1
    return out


def select_sql(rows: int, cols: int) -> str:
    """The SELECT that makes the table (ordered by row number)."""
    chosen = columns(cols)
    salts = sorted({salt for name, expr, salt in chosen if expr == "rid"})
    inner = ["i"] + [f"{_resident_id_first17(s + 88)} AS rid17_{k}" for k, s in enumerate(salts)]
    middle = ["*"] + [f"rid17_{k} || {_check_char(f'rid17_{k}')} AS rid_{k}" for k in range(len(salts))]
    select = []
    for name, expr, salt in chosen:
        if expr == "rid":
            expr = f"rid_{salts.index(salt)}"
        select.append(f'{expr} AS "{name}"')
    return (
        f"SELECT {', '.join(select)} FROM (SELECT {', '.join(middle)} FROM "
        f"(SELECT {', '.join(inner)} FROM range({int(rows)}) AS t(i))) ORDER BY i"
    )


def generate(rows: int, cols: int, out_dir: Path, *, parquet: bool = False, threads: int = 2) -> dict[str, Any]:
    """Write ``synthetic_<rows>x<cols>.csv`` (and ``.parquet``) into ``out_dir`` unless an identical one is
    there already; return the paths, sizes and the seconds spent."""
    import duckdb

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"synthetic_{rows}x{cols}"
    meta_path = stem.with_suffix(".json")
    wanted = {"version": VERSION, "rows": rows, "cols": cols}
    targets = {"csv": stem.with_suffix(".csv")}
    if parquet:
        targets["parquet"] = stem.with_suffix(".parquet")
    meta: dict[str, Any] = {}
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if {k: meta.get(k) for k in wanted} != wanted:
            meta = {}
    info: dict[str, Any] = {"rows": rows, "cols": cols, "seconds": {}, "cached": {}}
    sql = select_sql(rows, cols)
    for kind, path in targets.items():
        recorded = meta.get(kind) or {}
        if path.exists() and recorded.get("bytes") == path.stat().st_size:
            info["cached"][kind] = True
            info["seconds"][kind] = recorded.get("seconds")
        else:
            started = time.perf_counter()
            con = duckdb.connect(config={"threads": threads, "preserve_insertion_order": True})
            try:
                options = "HEADER, DELIMITER ','" if kind == "csv" else "FORMAT parquet, COMPRESSION zstd"
                tmp = path.with_name(path.name + ".part")
                con.execute(f"COPY ({sql}) TO '{tmp}' ({options})")
                tmp.replace(path)
            finally:
                con.close()
            info["cached"][kind] = False
            info["seconds"][kind] = round(time.perf_counter() - started, 2)
            meta = {**meta, **wanted, kind: {"bytes": path.stat().st_size, "seconds": info["seconds"][kind]}}
            meta_path.write_text(json.dumps(meta, indent=1))
        info[kind] = str(path)
        info[f"{kind}_bytes"] = path.stat().st_size
    return info
