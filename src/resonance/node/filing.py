"""重要数据目录备案: the filing facts a provider keeps per dataset, and the filing table it hands in.

The eleven columns follow the filing content of the 工业和信息化领域数据安全管理办法（试行）, as summarised in
POLICY-NOTES §3 (数据来源, 类别, 级别, 规模, 载体, 处理目的和方式, 使用范围, 责任主体, 对外共享, 跨境传输,
安全保护措施); they describe the data, never contain it.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from resonance.errors import ResonanceError
from resonance.registry.vocabularies import label

COLUMNS = [
    ("code", "数据集编码", "Dataset code"),
    ("source", "数据来源", "Data source"),
    ("category", "类别", "Category"),
    ("level", "级别", "Level"),
    ("scale", "规模", "Scale"),
    ("carrier", "载体", "Carrier"),
    ("purpose", "处理目的和方式", "Purpose and manner of processing"),
    ("scope", "使用范围", "Scope of use"),
    ("responsible", "责任主体", "Responsible party"),
    ("sharing", "对外共享", "Sharing with others"),
    ("cross_border", "跨境传输", "Cross-border transfer"),
    ("protection", "安全保护措施", "Security measures"),
    ("reference", "备案编号", "Filing reference"),
    ("risk_assessed_on", "最近风险评估日期", "Last risk assessment"),
]


class Filing(BaseModel):
    """What the provider declares for the filing; ``reference`` and ``risk_assessed_on`` gate 重要 data."""

    model_config = ConfigDict(extra="forbid")
    reference: str = Field(default="", max_length=120)
    risk_assessed_on: date | None = None
    source: str = Field(default="", max_length=500)
    carrier: str = Field(default="", max_length=300)
    purpose: str = Field(default="", max_length=1000)
    scope: str = Field(default="", max_length=1000)
    responsible: str = Field(default="", max_length=300)
    sharing: str = Field(default="联合训练（数据不出域，仅模型参数/更新出域）", max_length=500)
    cross_border: str = Field(default="无", max_length=300)
    protection: str = Field(default="", max_length=1000)


def row_for(
    code: str,
    registry_fields: dict[str, Any],
    profile: dict[str, Any] | None,
    decision: dict[str, Any] | None,
    filing: dict[str, Any] | None,
) -> dict[str, Any]:
    level = (decision or {}).get("level") or {}
    facts = Filing.model_validate(filing or {})
    rows = (profile or {}).get("rows")
    category = registry_fields.get("category") or ""
    return {
        "code": code,
        "source": facts.source,
        "category": label("data_category", category, "zh") if category else "",
        "level": level.get("zh", "") if isinstance(level, dict) else str(level),
        "scale": f"{rows} 条记录，{len((profile or {}).get('columns', []))} 个字段" if rows is not None else "",
        "carrier": facts.carrier,
        "purpose": facts.purpose,
        "scope": facts.scope,
        "responsible": facts.responsible,
        "sharing": facts.sharing,
        "cross_border": facts.cross_border,
        "protection": facts.protection,
        "reference": facts.reference,
        "risk_assessed_on": facts.risk_assessed_on.isoformat() if facts.risk_assessed_on else "",
    }


def write_table(rows: list[dict[str, Any]], out: Path, lang: str = "zh") -> Path:
    """The filing table as XLSX (by suffix) or CSV (UTF-8 with BOM, opens in Excel)."""
    headers = [zh if lang == "zh" else en for _, zh, en in COLUMNS]
    keys = [k for k, _, _ in COLUMNS]
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        book = Workbook()
        sheet = book.active
        sheet.title = "重要数据目录" if lang == "zh" else "Important data catalogue"
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append([_safe_cell(row[k]) for k in keys])
        book.save(out)
    elif out.suffix.lower() == ".csv":
        with out.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            writer.writerows([[_safe_cell(row[k]) for k in keys] for row in rows])
    else:
        raise ResonanceError(what=f"cannot write {out.name}", fix="name the output .xlsx or .csv")
    return out


def _safe_cell(value: Any) -> Any:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
