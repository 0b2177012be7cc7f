"""URLs for hot pages without a full `reverse` each time.

Django's `reverse` walks the resolver, the script prefix, the active language and a regex check
on every call; a feed page of eight cards needs about 160 URLs, and reversing them was a third
of the page's rendering time. `link` reverses each (name, argument count) once per URLconf and
script prefix with placeholder arguments, then puts the real values in by replacement. Values
outside a plain character set (anything `reverse` would quote or a converter might refuse) go
through `reverse` itself, so a bad value still raises NoReverseMatch."""

import re

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

# Letters, digits, '_' and '-': accepted by the str, slug and path converters and never quoted.
PLAIN = re.compile(r"[A-Za-z0-9_-]+")
_PLACEHOLDER = "zQx{}xQz"
_patterns: dict[tuple, str | None] = {}


def _pattern(name: str, nargs: int, prefix: str, urlconf) -> str | None:
    key = (name, nargs, prefix, urlconf)
    if key not in _patterns:
        try:
            _patterns[key] = reverse(name, args=[_PLACEHOLDER.format(i) for i in range(nargs)])
        except NoReverseMatch:  # e.g. an int converter: placeholders do not fit, always reverse
            _patterns[key] = None
    return _patterns[key]


def _link(name: str, args, prefix: str, urlconf) -> str:
    values = [str(a) for a in args]
    pattern = _pattern(name, len(values), prefix, urlconf)
    if pattern is None or not all(PLAIN.fullmatch(v) for v in values):
        return reverse(name, args=args)
    for i, value in enumerate(values):
        pattern = pattern.replace(_PLACEHOLDER.format(i), value)
    return pattern


def link(name: str, *args) -> str:
    """The same string as `reverse(name, args=args)`."""
    return _link(name, args, get_script_prefix(), get_urlconf())


def linker():
    """`link` for one request's many URLs: the script prefix and URLconf, which live in
    context-local storage, looked up once."""
    prefix, urlconf = get_script_prefix(), get_urlconf()

    def bound(name: str, *args) -> str:
        return _link(name, args, prefix, urlconf)

    return bound
