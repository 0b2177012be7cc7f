"""Display helpers for viewer pages: compact counts, relative times, linked hashtags."""

import re

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from tiktok.links import link
from videos import cards

register = template.Library()

# Same shape as the hashtag parser on upload: letters, digits and underscores after '#'.
HASHTAG_RE = re.compile(r"(?<![\w&])#(\w{1,100})")


@register.filter
def compact(value) -> str:
    """1234 -> 1.2K, 3_400_000 -> 3.4M (one decimal below 100 of a unit, none above)."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return "0"
    for size, unit in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if abs(n) >= size:
            scaled = n / size
            if abs(scaled) >= 100:
                return f"{int(scaled)}{unit}"
            text = f"{int(scaled * 10) / 10:.1f}".rstrip("0").rstrip(".")
            return f"{text}{unit}"
    return str(n)


@register.filter
def ago(value, now=None) -> str:
    """A short relative time: "just now", "5m ago", "3h ago", "2d ago", then the date."""
    if not value:
        return ""
    now = now or timezone.now()
    seconds = int((now - value).total_seconds())
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, seconds // 60)}m ago"
    if seconds < 86400:
        return f"{seconds // 3600}h ago"
    if seconds < 7 * 86400:
        return f"{seconds // 86400}d ago"
    local = timezone.localtime(value)
    if local.year == timezone.localtime(now).year:
        return f"{local:%b} {local.day}"
    return f"{local:%b} {local.day}, {local.year}"


@register.filter(needs_autoescape=True)
def hashtags(text, autoescape=True) -> str:
    """Escape the text, then link each #tag to its hashtag page."""
    escaped = escape(text or "")

    def tag_link(match):
        name = match.group(1).lower()
        url = escape(link("videos:hashtag", name))
        return f'<a class="tag" href="{url}">#{match.group(1)}</a>'

    return mark_safe(HASHTAG_RE.sub(tag_link, escaped))  # noqa: S308 - input escaped above


@register.filter
def seconds(value) -> str:
    try:
        total = int(round(float(value)))
    except (TypeError, ValueError):
        return ""
    return f"{total // 60}:{total % 60:02d}"


@register.filter
def percent(value) -> str:
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return "–"


@register.simple_tag(name="link")
def link_tag(name, *args) -> str:
    """`{% link 'videos:watch' id %}`: the `{% url %}` tag for hot templates (see tiktok.links)."""
    return link(name, *args)


# The card and its buttons are Jinja2 macros (videos/cards.py); these tags place them in pages.


@register.simple_tag(takes_context=True)
def card(context, card):
    """`{% card card %}`: a video's card."""
    return cards.parts(context["request"]).card(card)


@register.simple_tag(takes_context=True)
def follow_button(context, creator, following=False, video_public_id="", slot=""):
    """`{% follow_button person following %}`: the follow form, or a log-in link."""
    return cards.parts(context["request"]).follow(creator, following, video_public_id, slot)


@register.simple_tag
def avatar(person, size="md"):
    """`{% avatar person "sm" %}`: a person's picture, or their initial."""
    return cards.plain().avatar(person, size)
