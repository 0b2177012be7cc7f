"""One vocabulary: the moderation category codes are defined once (moderation/categories.py), and
no code or template writes a URL path by hand (reverse(), {% url %} or get_absolute_url())."""

import ast
import re
from pathlib import Path

from django.urls import get_resolver

ROOT = Path(__file__).resolve().parent.parent
CODE = ["accounts", "videos", "moderation", "recommendations", "tiktok", "bench"]
# bench/loadgen.py is an HTTP client outside the project, like a browser: it uses public URLs.
URL_CODE = ["accounts", "videos", "moderation", "recommendations", "tiktok"]
CODES = {"S", "H", "V", "HR", "SH", "S3", "H2", "V2"}


def _python_files(packages=CODE):
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _category_lists(tree) -> list[int]:
    """Lines of list, tuple or set literals that spell out most of the category codes: a second
    definition of the taxonomy. (Dicts keyed by code are per-category tables, such as a label
    mapping or calibration rates, and are fine.)"""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            strings = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
            if len(strings & CODES) >= 6:
                found.append(node.lineno)
    return found


def test_the_category_codes_are_defined_once():
    definitions = []
    for path in _python_files():
        for line in _category_lists(ast.parse(path.read_text(), str(path))):
            definitions.append(f"{path.relative_to(ROOT)}:{line}")
    assert definitions == ["moderation/categories.py:5"], f"the category codes are spelled out again: {definitions}"


def test_the_scan_finds_a_second_definition():
    source = 'LABELS = ("S", "H", "V", "HR", "SH", "S3", "H2", "V2")\nRATES = {"S": 1, "H": 2}\nFEW = ["S", "H"]\n'
    tree = ast.parse(source)
    assert _category_lists(tree) == [1]


def _route_prefixes() -> set[str]:
    """The first literal segment of every URL pattern the project serves ("v/", "@", "accounts/", ...)."""
    prefixes = set()
    for pattern in get_resolver().url_patterns:
        text = str(pattern.pattern)
        literal = re.split(r"[<^$(\\]", text.lstrip("^"), maxsplit=1)[0]
        if literal:
            prefixes.add(literal.split("/")[0] + ("/" if "/" in literal else ""))
        for inner in getattr(pattern, "url_patterns", []):
            inner_text = str(inner.pattern)
            inner_literal = re.split(r"[<^$(\\]", inner_text.lstrip("^"), maxsplit=1)[0]
            if inner_literal and not literal:
                prefixes.add(inner_literal.split("/")[0] + ("/" if "/" in inner_literal else ""))
    return {p for p in prefixes if p not in ("", "/")}


def _hand_written_paths_in_python(source: str, prefixes: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            value = node.value
            if value.startswith("/") and any(value[1:].startswith(p) for p in prefixes):
                found.append(f"{node.lineno}: {value[:60]}")
    return found


TEMPLATE_PATH = re.compile(r"""(?:href|action|src|hx-get|hx-post|hx-delete|hx-put|data-url)\s*=\s*["']/(?!/)""")


def test_no_url_path_is_written_by_hand():
    prefixes = _route_prefixes()
    assert {"v/", "accounts/", "moderation/"} <= prefixes
    found = []
    for path in _python_files(URL_CODE):
        if path.name in ("urls.py", "settings.py"):
            continue  # the URL map itself; settings' STATIC_URL and MEDIA_URL are prefixes, not routes
        hits = _hand_written_paths_in_python(path.read_text(), prefixes)
        found += [f"{path.relative_to(ROOT)}:{hit}" for hit in hits]
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if TEMPLATE_PATH.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    for path in sorted((ROOT / "static").rglob("*.js")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"""["'`]/(""" + "|".join(re.escape(p) for p in prefixes) + ")", line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert not found, "URL paths written by hand (use reverse(), {% url %} or get_absolute_url()):\n" + "\n".join(found)


def test_the_scan_finds_a_hand_written_path():
    prefixes = {"v/", "accounts/"}
    source = 'def f(video):\n    return f"/v/{video.public_id}/"\nOK = "/static/app.css"\n'
    assert [hit.split(":")[0] for hit in _hand_written_paths_in_python(source, prefixes)] == ["2"]
    assert TEMPLATE_PATH.search('<a class="brand" href="/">Clip</a>')
    assert not TEMPLATE_PATH.search("<a href=\"{% url 'recommendations:feed' %}\">")
