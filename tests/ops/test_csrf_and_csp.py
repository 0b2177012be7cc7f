"""Every state-changing URL refuses a POST without a CSRF token; pages carry a Content-Security-
Policy that forbids inline script, and no template contains inline script or event handlers."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db

SAMPLE_ARGS = {
    "public_id": "AAAAAAAAAAAAAAAA",
    "username": "someone",
    "pk": 1,
    "rendition": "720p",
    "slug": "music",
    "name": "x",
    "uidb64": "MQ",
    "token": "set-password",
    "object_id": "1",
    "app_label": "videos",
    "model_name": "video",
    "content_type_id": 1,
    "url": "x",
}


def all_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from all_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def concrete(route: str) -> str:
    def fill(match):
        converter, name = match.group(1), match.group(2)
        if converter == "uuid":  # a value the converter accepts, so the URL resolves
            return "00000000-0000-4000-8000-000000000000"
        return str(SAMPLE_ARGS.get(name, "1"))

    path = re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)
    return "/" + path.lstrip("^").rstrip("$").replace("\\", "")


def test_every_post_without_a_csrf_token_is_refused(make_user):
    user = make_user("poster")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    checked = 0
    for route, _ in all_patterns():
        if route.startswith("admin/") or "(?P" in route:
            continue
        url = concrete(route)
        response = client.post(url, {"text": "hello", "kind": "play", "video": "x"})
        assert response.status_code in (403, 405), f"POST {url} without a CSRF token answered {response.status_code}"
        checked += 1
    assert checked > 20


def test_pages_carry_a_policy_that_forbids_inline_script(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert "'nonce-" in script_src
    assert "frame-ancestors 'none'" in policy
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    for tag in re.findall(r"<script[^>]*>", response.content.decode()):
        assert f'nonce="{nonce}"' in tag and "src=" in tag, tag


def test_no_template_has_inline_script_or_event_handler_attributes():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag and "application/ld+json" not in tag:
                offenders.append(f"{template.name}: inline {tag}")
        for attr in re.findall(r"\s(on[a-z]+|hx-on[:\w-]*)=", text):
            offenders.append(f"{template.name}: {attr}=")
    assert offenders == []
