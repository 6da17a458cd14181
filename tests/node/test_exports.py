"""DCAT 3 and Croissant 1.1 exports: valid (rdflib, mlcroissant), offline, and free of row values and paths."""

from __future__ import annotations

import json
import socket
from datetime import date
from typing import Any

import mlcroissant as mlc
import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from resonance.errors import ResonanceError
from resonance.node.card import Card, template
from resonance.node.exports import to_croissant, to_dcat

# rdflib's own JSON-LD parser still builds a ConjunctiveGraph internally.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
DQV = Namespace("http://www.w3.org/ns/dqv#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
BASE = "https://space.example.org"
URI = URIRef(f"{BASE}/datasets/bf-temp")
SHA = "ab" * 32
SECRETS = ("SECRET-TOP-VALUE-42", "1502.25", "/home/provider", "furnace_raw.csv", "13800000000")
PROFILE: dict[str, Any] = {
    "rows": 5000,
    "path": "/home/provider/secret/furnace_raw.csv",
    "columns": [
        {"name": "ts", "type": "TIMESTAMP", "nulls": 0, "stats": {"top": [{"value": "SECRET-TOP-VALUE-42"}]}},
        {"name": "furnace temp", "type": "DOUBLE", "stats": {"mean": 1502.25, "min": 1502.25}},
        {"name": "grade", "type": "VARCHAR", "stats": {"top": [{"value": "SECRET-TOP-VALUE-42", "count": 9}]}},
        {"name": "ok", "type": "BOOLEAN"},
        {"name": "day", "type": "DATE"},
        {"name": "batch", "type": "BIGINT"},
    ],
}
QUALITY = {"completeness": 98.5, "uniqueness": {"score": 91, "zh": "唯一性", "en": "Uniqueness"}}


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any network connection fails the test: the exports and their validation must work offline."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def card() -> Card:
    card = template(
        PROFILE,
        name={"zh": "高炉炉温数据集", "en": "Blast furnace temperature"},
        summary={"zh": "2号高炉两年的炉温与操作参数。", "en": "Two years of furnace data."},
        version="v1.2.0",
        provider="示例钢铁有限公司",
        industry="steel",
        dataset_type="specialised",
        format="CSV",
        licence="https://creativecommons.org/licenses/by-nc/4.0/",
        keywords=["高炉", "furnace"],
        contact={"name": "王工", "email": "wang@example.com", "phone": "13800000000"},
        citation="示例钢铁 (2026) 高炉炉温数据集",
        collection={"start": date(2024, 1, 1), "end": date(2025, 12, 31)},
        versions=[{"version": "v1.2.0", "date": date(2026, 3, 15)}],
        label_column="grade",
    )
    card.content.columns[1].unit = "℃"
    card.content.columns[1].description.zh = "铁水温度"
    return card


# --- DCAT ------------------------------------------------------------------------------------------------------------
def graph(doc: dict[str, Any]) -> Graph:
    return Graph().parse(data=json.dumps(doc, ensure_ascii=False), format="json-ld")


def test_dcat_parses_as_rdf_with_the_required_properties(card: Card) -> None:
    doc = to_dcat(card, PROFILE, dataset_id="bf-temp", base_uri=BASE + "/", publisher="示范空间运营方", quality=QUALITY)
    g = graph(doc)
    assert (URI, RDF.type, DCAT.Dataset) in g
    titles = {(str(t), t.language) for t in g.objects(URI, DCT.title)}
    assert titles == {("高炉炉温数据集", "zh"), ("Blast furnace temperature", "en")}
    assert (URI, DCT.identifier, Literal("bf-temp")) in g
    assert g.value(g.value(URI, DCT.publisher), FOAF.name) == Literal("示范空间运营方")
    assert g.value(URI, DCT.license) == URIRef("https://creativecommons.org/licenses/by-nc/4.0/")
    assert g.value(URI, DCAT.version) == Literal("v1.2.0")
    assert {(str(k), k.language) for k in g.objects(URI, DCAT.keyword)} == {("高炉", "zh"), ("furnace", "en")}
    assert g.value(URI, DCAT.theme) == URIRef(f"{BASE}/vocab/industries/steel")
    period = g.value(URI, DCT.temporal)
    assert g.value(period, DCAT.startDate).toPython() == date(2024, 1, 1)
    assert g.value(period, DCAT.endDate).toPython() == date(2025, 12, 31)
    assert g.value(URI, DCT.conformsTo) is not None


def test_dcat_distribution_is_federated_access_without_a_download(card: Card) -> None:
    g = graph(to_dcat(card, PROFILE, dataset_id="bf-temp", base_uri=BASE, publisher="运营方"))
    rows = list(
        g.query(
            """
            PREFIX dcat: <http://www.w3.org/ns/dcat#>
            PREFIX dct: <http://purl.org/dc/terms/>
            SELECT ?dist ?service ?rights WHERE {
                ?ds a dcat:Dataset ; dcat:distribution ?dist .
                ?dist a dcat:Distribution ; dcat:accessService ?service ; dct:accessRights ?rights .
                ?service a dcat:DataService .
            }
            """
        )
    )
    assert len(rows) == 1
    assert not list(g.subject_objects(DCAT.downloadURL))
    labels = {str(label) for label in g.objects(rows[0].rights, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))}
    assert any("数据不出节点" in label for label in labels)


def test_dcat_quality_scores_become_dqv_measurements(card: Card) -> None:
    g = graph(to_dcat(card, PROFILE, dataset_id="bf-temp", base_uri=BASE, publisher="运营方", quality=QUALITY))
    found = {
        str(metric).rsplit("/", 1)[1]: float(value)
        for metric, value in g.query(
            """
            PREFIX dqv: <http://www.w3.org/ns/dqv#>
            SELECT ?metric ?value WHERE { ?ds dqv:hasQualityMeasurement ?m .
                ?m dqv:isMeasurementOf ?metric ; dqv:value ?value . }
            """
        )
    }
    assert found == {"completeness": 98.5, "uniqueness": 91.0}
    with pytest.raises(ResonanceError) as err:
        to_dcat(card, PROFILE, dataset_id="bf-temp", base_uri=BASE, publisher="x", quality={"accuracy": "high"})
    assert err.value.where == "quality, field accuracy"


# --- Croissant -------------------------------------------------------------------------------------------------------
def test_croissant_validates_with_mlcroissant_without_errors_or_warnings(card: Card) -> None:
    doc = to_croissant(card, PROFILE, dataset_id="bf-temp", base_uri=BASE, sha256=SHA, publisher="示范空间运营方")
    ctx = mlc.Context()
    mlc.Metadata.from_json(ctx=ctx, json_=json.loads(json.dumps(doc)))
    assert ctx.issues.errors == set()
    assert ctx.issues.warnings == set()
    dataset = mlc.Dataset(jsonld=doc)  # raises mlc.ValidationError on any error
    assert dataset.metadata.name == {"zh": "高炉炉温数据集", "en": "Blast furnace temperature"}
    fields = {f.name: f for f in dataset.metadata.record_sets[0].fields}
    assert set(fields) == {"ts", "furnace temp", "grade", "ok", "day", "batch"}
    assert fields["furnace temp"].source.extract.column == "furnace temp"


def test_croissant_maps_types_and_keeps_content_at_the_node(card: Card) -> None:
    doc = to_croissant(card, PROFILE, dataset_id="bf-temp", base_uri=BASE, sha256=SHA.upper())
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert doc["version"] == "1.2.0" and doc["datePublished"] == "2026-03-15"
    assert doc["citeAs"] and doc["license"].startswith("https://creativecommons.org/")
    (file,) = doc["distribution"]
    assert file["contentUrl"] == "node://bf-temp" and file["name"] == "bf-temp.csv"
    assert file["encodingFormat"] == "text/csv" and file["sha256"] == SHA
    assert "node" in doc["description"]["en"] and "节点" in doc["description"]["zh"]
    types = {f["name"]: f["dataType"] for f in doc["recordSet"][0]["field"]}
    assert types == {
        "ts": "sc:DateTime", "furnace temp": "sc:Float", "grade": "sc:Text",
        "ok": "sc:Boolean", "day": "sc:Date", "batch": "sc:Integer",
    }  # fmt: skip
    temp = next(f for f in doc["recordSet"][0]["field"] if f["name"] == "furnace temp")
    assert temp["@id"] == "records/furnace_temp" and temp["description"]["zh"] == "铁水温度\n\n单位：℃"


def test_croissant_needs_a_checksum(card: Card) -> None:
    with pytest.raises(ResonanceError) as err:
        to_croissant(card, PROFILE, dataset_id="bf-temp", base_uri=BASE)
    assert err.value.code == "checksum_required"
    doc = to_croissant(card, {**PROFILE, "sha256": SHA}, dataset_id="bf-temp", base_uri=BASE)
    assert doc["distribution"][0]["sha256"] == SHA
    doc = to_croissant(card, PROFILE, dataset_id="bf-temp", base_uri=BASE, sha256=f"sha256:{SHA}")  # catalog form
    assert doc["distribution"][0]["sha256"] == SHA
    with pytest.raises(ResonanceError, match="SHA-256"):
        to_croissant(card, PROFILE, dataset_id="bf-temp", base_uri=BASE, sha256="md5:abc")


# --- both ------------------------------------------------------------------------------------------------------------
def test_exports_hold_no_row_value_no_path_and_no_phone(card: Card) -> None:
    docs = [
        to_dcat(card, PROFILE, dataset_id="bf-temp", base_uri=BASE, publisher="运营方", quality=QUALITY),
        to_croissant(card, PROFILE, dataset_id="bf-temp", base_uri=BASE, sha256=SHA),
    ]
    for doc in docs:
        text = json.dumps(doc, ensure_ascii=False)
        for secret in SECRETS:
            assert secret not in text


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"dataset_id": "../etc", "base_uri": BASE}, "dataset_id"),
        ({"dataset_id": "has space", "base_uri": BASE}, "dataset_id"),
        ({"dataset_id": "ok", "base_uri": "file:///home/provider"}, "base_uri"),
    ],
)
def test_exports_refuse_unsafe_identifiers(card: Card, kwargs: dict[str, str], where: str) -> None:
    with pytest.raises(ResonanceError) as err:
        to_dcat(card, PROFILE, publisher="x", **kwargs)
    assert err.value.where == where
    with pytest.raises(ResonanceError) as err:
        to_croissant(card, PROFILE, sha256=SHA, **kwargs)
    assert err.value.where == where


def test_exports_need_a_name() -> None:
    unnamed = template(PROFILE)
    with pytest.raises(ResonanceError, match="no name") as err:
        to_dcat(unnamed, PROFILE, dataset_id="bf-temp", base_uri=BASE, publisher="x")
    assert err.value.where == "card, field basic.name"
    with pytest.raises(ResonanceError, match="no name"):
        to_croissant(unnamed, PROFILE, dataset_id="bf-temp", base_uri=BASE, sha256=SHA)
