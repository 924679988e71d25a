"""A signed-in HTTP session against a real web process, as a browser would have one."""

from __future__ import annotations

import re

import httpx

from tests.conftest import PASSWORD


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def logged_in_client(
    base_url: str, email: str, password: str = PASSWORD, *, second_factor: bool = True
) -> httpx.Client:
    """Signed in with the password; court staff then type their app's code, unless
    `second_factor` is False (the session then has the password alone)."""
    client = httpx.Client(base_url=base_url, follow_redirects=False, timeout=10)
    page = client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/",
        data={
            "username": email,
            "password": password,
            "csrfmiddlewaretoken": csrf_from(page.text),
        },
        headers={"Referer": f"{base_url}/accounts/login/"},
    )
    assert response.status_code == 302, response.text[:500]
    # Court staff prove a second factor; bidders land on their own page.
    if second_factor and response.headers["location"] != "/my-auctions/":
        from accounts.models import User
        from tests.harness.second_factor import prove_over_http

        user = User.objects.filter(email=email).first()
        if user is not None and user.role != "BIDDER":
            prove_over_http(client, user, response)
    return client


def post_form(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    page = client.get(path)
    return client.post(
        path,
        data={**data, "csrfmiddlewaretoken": csrf_from(page.text)},
        headers={"Referer": f"{client.base_url}{path}"},
    )


def cookie_header(client: httpx.Client) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())
