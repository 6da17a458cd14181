"""DCAT 3 JSON-LD for a dataset's catalog entry (数据目录条目): metadata only.

The one distribution is access by federated training or evaluation at the provider's node
(``dcat:accessService`` + ``dct:accessRights``); there is deliberately no ``dcat:downloadURL``, since rows
never leave the node. The ``@context`` is inline, so nothing is fetched to read the document.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from resonance.errors import ResonanceError
from resonance.node.card import ACCESS, Card, Text, profile_schema, vocab_label

CONTEXT: dict[str, str] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dqv": "http://www.w3.org/ns/dqv#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
}
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def dataset_uri(base_uri: str, dataset_id: str) -> str:
    """``<base_uri>/datasets/<dataset_id>``, after checking both (an http(s) base, a URI-safe id)."""
    if not isinstance(dataset_id, str) or not _ID.fullmatch(dataset_id):
        raise ResonanceError(
            f"the dataset id {dataset_id!r} cannot be used in a URI",
            where="dataset_id",
            fix="use letters, digits, '.', '_' or '-' (at most 128, starting with a letter or digit)",
            code="invalid",
        )
    if not isinstance(base_uri, str) or not re.fullmatch(r"https?://[^\s?#]+", base_uri):
        raise ResonanceError(
            f"the base URI {base_uri!r} is not an http(s) URL",
            where="base_uri",
            fix="pass the space's public address, e.g. https://space.example.org",
            code="invalid",
        )
    return f"{base_uri.rstrip('/')}/datasets/{dataset_id}"


def lang_literals(text: Text | Mapping[str, str]) -> list[dict[str, str]]:
    """A bilingual text as JSON-LD language-tagged literals (``@zh``, ``@en``), empty languages left out."""
    pairs = text.model_dump() if isinstance(text, Text) else dict(text)
    return [{"@value": value, "@language": lang} for lang, value in pairs.items() if value]


def required_title(card: Card) -> Text:
    """The card's name, or an error: an export without a title is of no use in a catalog."""
    if not card.basic.name.filled():
        raise ResonanceError(
            "the dataset card has no name",
            where="card, field basic.name",
            fix="fill in basic.name (zh and en) before exporting",
            code="invalid_card",
            status=422,
        )
    return card.basic.name


def _concept(base: str, scheme: str, key: str, field: str) -> dict[str, Any]:
    labels = {"zh": vocab_label(field, key, "zh"), "en": vocab_label(field, key, "en")}
    return {"@id": f"{base}/vocab/{scheme}/{key}", "@type": "skos:Concept", "skos:prefLabel": lang_literals(labels)}


def _licence(licence: str) -> dict[str, Any]:
    if re.fullmatch(r"https?://\S+", licence):
        return {"@id": licence, "@type": "dct:LicenseDocument"}
    return {"@type": "dct:LicenseDocument", "rdfs:label": licence}


def _measurements(quality: Mapping[str, Any], base: str, uri: str) -> list[dict[str, Any]]:
    scores = quality.get("scores") if isinstance(quality.get("scores"), Mapping) else quality
    out: list[dict[str, Any]] = []
    for key, raw in scores.items():
        value = raw.get("score", raw.get("value")) if isinstance(raw, Mapping) else raw
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ResonanceError(
                f"quality score {key!r} is not a number",
                where=f"quality, field {key}",
                fix="give each score as a number (or a mapping with `score`)",
                code="invalid",
            )
        metric: dict[str, Any] = {"@id": f"{base}/quality/metrics/{quote(str(key), safe='')}", "@type": "dqv:Metric"}
        if isinstance(raw, Mapping) and (raw.get("zh") or raw.get("en")):
            metric["skos:prefLabel"] = lang_literals({"zh": raw.get("zh", ""), "en": raw.get("en", "")})
        out.append(
            {
                "@type": "dqv:QualityMeasurement",
                "dqv:isMeasurementOf": metric,
                "dqv:computedOn": {"@id": uri},
                "dqv:value": {"@value": float(value), "@type": "xsd:double"},
            }
        )
    return out


def to_dcat(
    card: Card,
    profile: Mapping[str, Any],
    *,
    dataset_id: str,
    base_uri: str,
    publisher: str,
    quality: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The dataset as a DCAT 3 ``dcat:Dataset`` in JSON-LD (a dict ready for ``json.dumps``).

    Uses the card's published fields and, from the profile, only the row and column counts. ``quality``
    maps metric keys to scores (numbers or ``{"score": n, "zh": …, "en": …}``, optionally under
    ``"scores"``); each becomes a ``dqv:QualityMeasurement``.
    """
    uri = dataset_uri(base_uri, dataset_id)
    base = base_uri.rstrip("/")
    rows, columns = profile_schema(profile)
    b, process = card.basic, card.process
    rights = None
    if b.access:
        zh, en = ACCESS[b.access]
        rights = {"@type": "dct:RightsStatement", "rdfs:label": lang_literals({"zh": zh, "en": en})}
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": uri,
        "@type": "dcat:Dataset",
        "dct:identifier": dataset_id,
        "dct:title": lang_literals(required_title(card)),
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": publisher},
        "dcat:landingPage": {"@id": uri},
    }
    if b.summary.filled():
        doc["dct:description"] = lang_literals(b.summary)
    if b.provider:
        doc["dct:creator"] = {"@type": "foaf:Organization", "foaf:name": b.provider}
    if b.owner:
        doc["dct:rightsHolder"] = {"@type": "foaf:Organization", "foaf:name": b.owner}
    if b.keywords:
        doc["dcat:keyword"] = [{"@value": k, "@language": "zh" if _CJK.search(k) else "en"} for k in b.keywords]
    if b.industry:
        doc["dcat:theme"] = _concept(base, "industries", b.industry, "industry")
    if b.dataset_type:
        doc["dct:type"] = _concept(base, "dataset-kinds", b.dataset_type, "dataset_type")
    if process.collection.start or process.collection.end:
        period: dict[str, Any] = {"@type": "dct:PeriodOfTime"}
        for key, day in (("dcat:startDate", process.collection.start), ("dcat:endDate", process.collection.end)):
            if day:
                period[key] = {"@value": day.isoformat(), "@type": "xsd:date"}
        doc["dct:temporal"] = period
    if b.licence:
        doc["dct:license"] = _licence(b.licence)
    if rights:
        doc["dct:accessRights"] = rights
    if b.version:
        doc["dcat:version"] = b.version
    if dated := [v.date for v in process.versions if v.date]:
        doc["dct:modified"] = {"@value": max(dated).isoformat(), "@type": "xsd:date"}
    if b.contact.name:
        contact: dict[str, Any] = {"@type": "vcard:Kind", "vcard:fn": b.contact.name}
        if b.contact.email:
            contact["vcard:hasEmail"] = {"@id": f"mailto:{b.contact.email}"}
        doc["dcat:contactPoint"] = contact
    if rows is not None:
        size = f"{rows} rows × {len(columns)} columns"
        doc["dct:extent"] = {"@type": "dct:SizeOrDuration", "rdfs:label": size}
    doc["dct:conformsTo"] = {
        "@id": f"{uri}/schema",
        "@type": "dct:Standard",
        "dct:title": lang_literals({"zh": f"字段结构（{len(columns)} 列）", "en": f"Schema ({len(columns)} columns)"}),
    }
    distribution: dict[str, Any] = {
        "@id": f"{uri}#federated-access",
        "@type": "dcat:Distribution",
        "dct:title": lang_literals({"zh": "提供方节点联合访问", "en": "Federated access at the provider's node"}),
        "dct:description": lang_literals(
            {
                "zh": "数据保留在提供方节点，不提供下载：模型被送到数据所在处进行联合训练或评测。",
                "en": "The data stays at the provider's node and cannot be downloaded: models travel to it "
                "for federated training or evaluation.",
            }
        ),
        "dcat:accessURL": {"@id": uri},  # where a contract is requested; there is no download URL
        "dcat:accessService": {
            "@id": f"{base}/services/federated-training",
            "@type": "dcat:DataService",
            "dct:title": lang_literals({"zh": "联合训练与评测服务", "en": "Federated training and evaluation service"}),
            "dcat:servesDataset": {"@id": uri},
        },
    }
    if rights:
        distribution["dct:accessRights"] = rights
    if b.licence:
        distribution["dct:license"] = _licence(b.licence)
    if b.format:
        distribution["dct:format"] = b.format
    doc["dcat:distribution"] = distribution
    if quality:
        doc["dqv:hasQualityMeasurement"] = _measurements(quality, base, uri)
    return doc
