"""Headers that make the browser refuse what the portal never does."""

import pytest

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "article"])
def test_pages_forbid_inline_code_framing_and_device_access(client, path):
    if path == "article":
        path = ArticleFactory().get_absolute_url()
    response = client.get(path)
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_carry_no_inline_scripts_or_styles(client):
    page = client.get(ArticleFactory().get_absolute_url()).content.decode()
    assert "<style" not in page
    assert ' style="' not in page
    assert " onclick=" not in page and " onload=" not in page
    for script in page.split("<script")[1:]:
        tag = script.split(">", 1)[0]
        assert ' src="' in tag or 'type="application/' in tag, tag
