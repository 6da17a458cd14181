"""What a role may not see is not shown: navigation, lists, detail pages, ledger and reports per role."""

from __future__ import annotations

import re

import pytest

from conftest import Site, text

PRIVATE_NAV = {"/web/jobs", "/web/contracts", "/web/ledger", "/web/reports"}


def nav_links(html: str) -> set[str]:
    nav = html[html.index('<nav aria-label="主导航"') : html.index("</nav>")]
    return set(re.findall(r'href="([^"]+)"', nav))


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("operator", PRIVATE_NAV),
        ("viewer", set()),
        ("provider", {"/web/jobs", "/web/contracts"}),
        ("developer", {"/web/jobs", "/web/contracts"}),
        ("authority", {"/web/ledger", "/web/reports"}),
    ],
)
def test_navigation_shows_only_what_the_role_may_read(site: Site, role: str, visible: set[str]) -> None:
    client = site.login(role)
    client.cookies.set("rs_lang", "zh")
    links = nav_links(client.get("/web/").text)
    assert links & PRIVATE_NAV == visible
    assert {"/web/", "/web/datasets", "/web/conformance"} <= links


def test_a_viewer_is_refused_every_private_page(site: Site) -> None:
    client = site.login("viewer")
    for path in (
        "/web/contracts",
        f"/web/contracts/{site.world.contract_ids['mill']}",
        "/web/jobs",
        f"/web/jobs/{site.world.job_id}",
        f"/web/jobs/{site.world.job_id}/progress",
        "/web/ledger",
        "/web/ledger/verify",
        "/web/ledger/1",
        "/web/reports",
        "/web/reports/download?entity=jiangsu",
    ):
        page = client.get(path)
        assert page.status_code == 403, path
        assert "无权查看" in page.text and "viewer token" in text(page), path
        assert "FINALIZED" not in page.text and "mt-failure federated" not in page.text and "job.round" not in page.text
    assert client.get("/web/datasets/ai4i-l").status_code == 200  # public concepts stay readable


def test_a_provider_sees_only_its_own_contracts(site: Site) -> None:
    mill, steel = site.world.contract_ids["mill"], site.world.contract_ids["steel"]
    client = site.login("provider")  # mill-l
    listing = client.get("/web/contracts").text
    assert f'href="/web/contracts/{mill}"' in listing and f'href="/web/contracts/{steel}"' not in listing
    assert client.get(f"/web/contracts/{mill}").status_code == 200
    hidden = client.get(f"/web/contracts/{steel}")
    assert hidden.status_code == 404 and f"no contract with id or code '{steel}'" in text(hidden)
    other = site.login("other_provider")  # mill-m: a party to neither
    assert "共 0 条" in other.get("/web/contracts").text
    assert other.get(f"/web/contracts/{mill}").status_code == 404


def test_jobs_are_shown_to_their_submitter_only(site: Site) -> None:
    job = site.world.job_id
    provider = site.login("provider")  # mill-l did not submit the job
    assert "共 0 条" in provider.get("/web/jobs").text
    assert provider.get(f"/web/jobs/{job}").status_code == 404
    assert provider.get(f"/web/jobs/{job}/progress").status_code == 404
    developer = site.login("developer")  # model-co submitted it
    assert developer.get(f"/web/jobs/{job}").status_code == 200
    assert f'href="/web/jobs/{job}"' in developer.get("/web/jobs").text


def test_an_authority_reads_the_ledger_and_its_own_reports_only(site: Site) -> None:
    client = site.login("authority")  # jiangsu
    assert client.get("/web/ledger").status_code == 200
    page = client.get("/web/reports")
    assert '<option value="jiangsu">' in page.text and '<option value="baowu-demo">' not in page.text
    assert "江苏省2026年" in page.text and "示例集团" not in page.text
    refused = client.get("/web/reports/download", params={"entity": "baowu-demo"})
    assert refused.status_code == 403 and "cannot download the reports of baowu-demo" in text(refused)
    assert client.get("/web/contracts").status_code == 403
