"""Malformed requests to the pages: NUL characters, bytes that are not UTF-8, GBK form bodies, server faults."""

from __future__ import annotations

import pytest

from conftest import Site, text
from resonance.web.pages import overview


@pytest.mark.parametrize(
    "path",
    [
        "/web/datasets?q=%00",
        "/web/datasets?industry=%00",
        "/web/ledger?subject=a%00b",
        "/web/datasets/ai4i%00",
        "/web/progress/%00",
    ],
)
def test_a_nul_character_in_the_address_is_refused(site: Site, path: str) -> None:
    page = site.login("operator").get(path)
    assert page.status_code == 422
    assert "the address contains a NUL character" in text(page)


def test_bytes_that_are_not_utf8_in_a_search_are_explained(site: Site) -> None:
    page = site.login("operator").get("/web/datasets?q=%FF%FE")
    assert page.status_code == 422 and "has no word to search for" in text(page)
    assert site.client.get("/web/datasets/%FF").status_code == 404


def test_a_gbk_or_json_login_body_is_refused_cleanly(site: Site) -> None:
    site.client.cookies.clear()
    gbk = site.client.post(
        "/web/login", content="token=你好".encode("gbk"), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert gbk.status_code == 401 and "not a Resonance API token" in text(gbk)
    as_json = site.client.post("/web/login", content=b'{"token": "rs_x"}', headers={"content-type": "application/json"})
    assert as_json.status_code == 422 and "请输入令牌" in as_json.text


def test_an_unexpected_fault_is_a_500_page_without_the_cause(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    client = site.login("operator")

    def broken(session: object) -> list[object]:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(overview, "counts", broken)
    page = client.get("/web/")
    assert page.status_code == 500
    assert "an unexpected error occurred; nothing was changed" in text(page)
    assert "secret internals" not in page.text and "Traceback" not in page.text
