"""Login with an API token (HttpOnly cookie), refusals that say why, logout, and the zh/en switch."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from conftest import Site, text


def _cookie_header(response) -> str:  # type: ignore[no-untyped-def]
    return "; ".join(response.headers.get_list("set-cookie"))


def test_a_page_without_login_leads_to_the_login_form_and_back(site: Site) -> None:
    site.client.cookies.clear()
    for path in ("/web/", "/web/datasets?q=轧钢", "/web/ledger", "/web/jobs/1"):
        response = site.client.get(path)
        assert response.status_code == 303, path
        location = urlsplit(response.headers["location"])
        back = parse_qs(location.query)["next"][0]
        assert location.path == "/web/login" and unquote(back) == path
        form = site.client.get(response.headers["location"])
        assert form.status_code == 200
        assert '<form method="post" action="/web/login"' in form.text
        assert '<label for="token">API 令牌</label>' in form.text
        assert f'name="next" value="{back}"' in text(form)
        assert "沙洲" not in form.text and "steel-common" not in form.text  # nothing of the page leaks


def test_htmx_and_form_requests_without_login_get_401(site: Site) -> None:
    site.client.cookies.clear()
    partial = site.client.get("/web/jobs/1/progress", headers={"HX-Request": "true"})
    assert partial.status_code == 401 and 'action="/web/login"' in partial.text
    assert "rounds-done" not in partial.text


def test_login_sets_an_httponly_cookie_and_returns_to_the_page(site: Site) -> None:
    site.client.cookies.clear()
    response = site.client.post(
        "/web/login", data={"token": site.world.tokens["operator"], "next": "/web/datasets?q=轧钢"}
    )
    assert response.status_code == 303
    assert unquote(response.headers["location"]) == "/web/datasets?q=轧钢"
    cookie = _cookie_header(response)
    assert "rs_web_token=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    page = site.client.get("/web/datasets?q=轧钢")
    assert page.status_code == 200 and "steel-common-1" in page.text


def test_login_never_redirects_to_another_site(site: Site) -> None:
    site.client.cookies.clear()
    for target in ("https://evil.example/", "//evil.example/x", "/api/v1/datasets", "/web/logout"):
        response = site.client.post("/web/login", data={"token": site.world.tokens["viewer"], "next": target})
        assert response.status_code == 303
        assert response.headers["location"] == "/web/", target


def test_garbage_unknown_expired_and_revoked_tokens_are_refused_with_the_reason(site: Site) -> None:
    site.client.cookies.clear()
    cases = {
        "hello": "not a Resonance API token",
        "rs_deadbeef_" + "x" * 40: "no API token matches rs_deadbeef_",
        site.world.tokens["expired"]: "expired at",
        site.world.tokens["revoked"]: "was revoked at",
    }
    for token, reason in cases.items():
        response = site.client.post("/web/login", data={"token": token, "next": "/web/"})
        assert response.status_code == 401, token
        assert reason in text(response)
        assert 'role="alert"' in response.text and "令牌被拒绝" in response.text
        assert "rs_web_token=" not in response.headers.get("set-cookie", "") or "Max-Age=0" in _cookie_header(response)


def test_an_empty_token_is_refused(site: Site) -> None:
    site.client.cookies.clear()
    response = site.client.post("/web/login", data={"token": "   ", "next": "/web/"})
    assert response.status_code == 422
    assert "请输入令牌" in response.text


def test_an_expired_token_in_the_cookie_is_dropped_and_explained(site: Site) -> None:
    client = site.login("expired")
    response = client.get("/web/datasets")
    assert response.status_code == 401
    assert "expired at" in text(response)
    assert 'rs_web_token=""' in _cookie_header(response) and "Max-Age=0" in _cookie_header(response)


def test_logout_forgets_the_token(site: Site) -> None:
    client = site.login("operator")
    response = client.post("/web/logout")
    assert response.status_code == 200
    assert "已退出登录" in response.text
    assert "Max-Age=0" in _cookie_header(response)
    assert client.get("/web/").status_code == 303  # to the login page


def test_language_switch_is_remembered_in_a_cookie(site: Site) -> None:
    client = site.login("operator")
    response = client.get("/web/lang/en", params={"next": "/web/datasets?q=steel"})
    assert response.status_code == 303
    assert response.headers["location"] == "/web/datasets?q=steel"
    assert "rs_lang=en" in _cookie_header(response)
    page = client.get("/web/datasets")
    assert '<html lang="en">' in page.text
    assert "Dataset catalog" in page.text and "数据集目录" not in page.text
    assert "Hot-rolled strip surface-defect dataset" in page.text  # names in the chosen language
    assert client.get("/web/lang/zh", params={"next": "/web/"}).status_code == 303
    page = client.get("/web/datasets")
    assert '<html lang="zh-CN">' in page.text and "数据集目录" in page.text
    assert "热轧带钢表面缺陷图谱数据集" in page.text


def test_an_unknown_language_is_a_404_page(site: Site) -> None:
    client = site.login("operator")
    response = client.get("/web/lang/fr")
    assert response.status_code == 404
    assert "unknown language 'fr'" in text(response) and "<html" in response.text
