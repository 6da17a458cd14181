"""Chinese and English search through the portable term index, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from resonance.errors import ResonanceError
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.search import document_terms, query_terms

C = CONCEPTS


def test_terms_include_jieba_words_bigrams_and_latin_words():
    terms = document_terms("热轧钢板表面缺陷数据集", "Hot-rolled steel v2")
    assert {"热轧", "钢板", "轧钢", "缺陷", "hot-rolled", "rolled", "steel", "v2"} <= terms
    assert query_terms("轧钢 Steel") == ({"轧钢", "steel"}, set())
    assert query_terms("钢") == (set(), {"钢"})


@pytest.fixture
def catalog(registry):
    with registry.session() as s:
        services.create(s, C["organisations"], {"code": "o", "name_zh": "单位"})
        for code, zh, en, desc in [
            ("strip", "热轧钢板表面缺陷数据集", "Hot-rolled strip surface defects", "宽厚板产线图像"),
            ("furnace", "高炉炉温预测数据集", "Blast furnace temperature", "炉温时序"),
            ("mill", "铣削加工故障数据集", "Milling failures", "刀具磨损与扭矩"),
        ]:
            services.create(
                s,
                C["datasets"],
                {
                    "code": code,
                    "name_zh": zh,
                    "name_en": en,
                    "description": desc,
                    "kind": "common",
                    "industry": "steel",
                    "owner": "o",
                },
            )
        s.commit()
    return registry


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("轧钢", ["strip"]),  # a substring jieba does not produce as a word
        ("表面缺陷", ["strip"]),
        ("炉温", ["furnace"]),
        ("数据集", ["furnace", "mill", "strip"]),
        ("blast FURNACE", ["furnace"]),
        ("刀具 扭矩", ["mill"]),
        ("钢", ["strip"]),
        ("炉温 milling", []),
        ("铝合金", []),
    ],
)
def test_search_finds_rows_by_chinese_and_english(catalog, query, expected):
    with catalog.session() as s:
        found = sorted(i["code"] for i in services.list_page(s, C["datasets"], q=query).items)
    assert found == expected


def test_search_follows_updates_and_deletes(catalog):
    with catalog.session() as s:
        row = services.get_row(s, C["datasets"], "mill")
        services.update(s, C["datasets"], row, {"name_zh": "轧机振动数据集"})
        s.commit()
        assert [i["code"] for i in services.list_page(s, C["datasets"], q="振动").items] == ["mill"]
        assert services.list_page(s, C["datasets"], q="铣削").total == 0
        services.delete(s, C["datasets"], row)
        s.commit()
        assert services.list_page(s, C["datasets"], q="振动").total == 0


def test_a_query_with_nothing_searchable_is_an_error(catalog):
    with catalog.session() as s, pytest.raises(ResonanceError, match="no word"):
        services.list_page(s, C["datasets"], q="！？")
