"""Croissant 1.1 JSON-LD (MLCommons) for a dataset held at a node: the schema as a record set, no content.

The one ``cr:FileObject`` names the table by the dataset id, never by its local path: ``contentUrl`` is the
placeholder ``node://<dataset_id>`` and the descriptions say that the content stays at the provider's node.
Each profiled column becomes a ``cr:Field`` whose source extracts that column. The standard Croissant 1.1
``@context`` is inline, so reading or validating the document fetches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from resonance.errors import ResonanceError
from resonance.node.card import Card, profile_schema
from resonance.node.exports.dcat import dataset_uri, required_title

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
# The @context of Croissant 1.1 as published with the specification's 1.1 examples.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
DATA_TYPES = {
    "integer": "sc:Integer",
    "float": "sc:Float",
    "text": "sc:Text",
    "date": "sc:Date",
    "datetime": "sc:DateTime",
    "boolean": "sc:Boolean",
}
ENCODINGS = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "parquet": "application/x-parquet",
    "json": "application/json",
    "jsonl": "application/jsonlines",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
}
RECORD_SET = "records"
_STAYS = {
    "zh": "数据内容保留在提供方节点，不提供下载；contentUrl 为占位符，仅可通过联合训练或评测使用。",
    "en": "The content stays at the provider's node and cannot be downloaded; contentUrl is a placeholder, "
    "and the data is used only through federated training or evaluation.",
}


def _lang_map(*parts: Mapping[str, str]) -> dict[str, str]:
    """Join per-language texts with blank lines; languages with no text are left out."""
    out = {lang: "\n\n".join(p[lang] for p in parts if p.get(lang)) for lang in ("zh", "en")}
    return {lang: text for lang, text in out.items() if text}


def _field_ids(names: list[str]) -> list[str]:
    # mlcroissant refuses whitespace in @id (even escaped) and reads '/' as nesting: replace both, keep unique.
    ids: list[str] = []
    for name in names:
        slug = re.sub(r"[\s/]+", "_", name.strip()) or "column"
        base = f"{RECORD_SET}/{slug}"
        candidate, n = base, 2
        while candidate in ids:
            candidate, n = f"{base}_{n}", n + 1
        ids.append(candidate)
    return ids


def to_croissant(
    card: Card,
    profile: Mapping[str, Any],
    *,
    dataset_id: str,
    base_uri: str,
    sha256: str | None = None,
    publisher: str | None = None,
    date_published: date | None = None,
) -> dict[str, Any]:
    """The dataset as a Croissant 1.1 ``sc:Dataset`` in JSON-LD (a dict ready for ``json.dumps``).

    ``sha256`` identifies the table's version at the node: the local catalog's fingerprint
    (``sha256:<hex>`` or bare hex; also read from ``profile["sha256"]`` / ``profile["fingerprint"]``). For
    one file it is the file's SHA-256; for several files or a SQL table it is the node's version hash, which
    nobody can check against bytes, as the content is never downloadable. Croissant requires a checksum on
    every FileObject, so a missing or malformed one is an error. From the profile only column names, types
    and the row count are used.
    ``date_published`` defaults to the date of the card's version-history entry for the current version.
    """
    uri = dataset_uri(base_uri, dataset_id)
    checksum = sha256 or profile.get("sha256") or profile.get("fingerprint")
    checksum = checksum.removeprefix("sha256:") if isinstance(checksum, str) else checksum
    if not isinstance(checksum, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", checksum):
        raise ResonanceError(
            "a Croissant FileObject needs the SHA-256 of the table",
            where="sha256",
            fix="pass sha256= (the local catalog's fingerprint of the dataset)",
            code="checksum_required",
            status=422,
        )
    b = card.basic
    rows, columns = profile_schema(profile)
    if not columns:  # fall back on the card's schema table
        columns = [(c.name, c.type or "text") for c in card.content.columns]
    described = {c.name: c for c in card.content.columns}
    fmt = b.format.lower().lstrip(".")
    file_id = f"{dataset_id}.{fmt}" if fmt in ENCODINGS else dataset_id
    size = {"zh": f"规模：{rows} 行 × {len(columns)} 列。", "en": f"Scale: {rows} rows × {len(columns)} columns."}
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "@id": uri,
        "name": required_title(card).model_dump(exclude_defaults=True),
        "description": _lang_map(b.summary.model_dump(), size if rows is not None else {}, _STAYS),
        "conformsTo": CONFORMS_TO,
        "url": uri,
    }
    if b.licence:
        doc["license"] = b.licence
    if b.version:
        doc["version"] = re.sub(r"^[vV](?=\d)", "", b.version)
    if b.citation:
        doc["citeAs"] = b.citation
    if b.provider:
        doc["creator"] = {"@type": "sc:Organization", "name": b.provider}
    if publisher:
        doc["publisher"] = {"@type": "sc:Organization", "name": publisher}
    if b.keywords:
        doc["keywords"] = list(b.keywords)
    published = date_published or next((v.date for v in card.process.versions if v.version == b.version), None)
    if published:
        doc["datePublished"] = published.isoformat()
    doc["distribution"] = [
        {
            "@type": "cr:FileObject",
            "@id": file_id,
            "name": file_id,
            "description": dict(_STAYS),
            "contentUrl": f"node://{dataset_id}",
            "encodingFormat": ENCODINGS.get(fmt, "application/octet-stream"),
            "sha256": checksum.lower(),
        }
    ]
    fields = []
    for (name, kind), field_id in zip(columns, _field_ids([n for n, _ in columns]), strict=True):
        field: dict[str, Any] = {"@type": "cr:Field", "@id": field_id, "name": name}
        if (spec := described.get(name)) is not None:
            unit = {"zh": f"单位：{spec.unit}", "en": f"Unit: {spec.unit}"} if spec.unit else {}
            if description := _lang_map(spec.description.model_dump(), unit, spec.label_definition.model_dump()):
                field["description"] = description
        field["dataType"] = DATA_TYPES.get(kind, "sc:Text")
        field["source"] = {"fileObject": {"@id": file_id}, "extract": {"column": name}}
        fields.append(field)
    doc["recordSet"] = [
        {
            "@type": "cr:RecordSet",
            "@id": RECORD_SET,
            "name": RECORD_SET,
            "description": {"zh": "表中的记录（字段结构）", "en": "The records of the table (schema only)"},
            "field": fields,
        }
    ]
    return doc
