"""Feed cards, and the buttons on them that their own endpoints send back after a click.

They are Jinja2 macros (templates/jinja/videos/card.html) rather than Django templates: a feed
page renders ten cards, and in the Django template language they were a third of the page's
CPU time. `parts(request)` makes the template's module once a request, bound to the viewer."""

from django.conf import settings
from django.template import engines
from django.template.backends.utils import csrf_input

from tiktok.links import linker
from videos import selectors


def page_size() -> int:
    """Cards per feed request."""
    return settings.FEED_PAGE_SIZE


def _template():
    return engines["jinja2"].env.get_template("videos/card.html")


def plain():
    """The macros that need no viewer (`avatar`)."""
    return _template().module


def parts(request):
    """The card template's macros for this request: `card(card)`, `like(video, liked, slot)`,
    `favourite(video, favourited, slot)`, `follow(creator, following, video_public_id, slot)`,
    `hidden(video)`. Each returns safe HTML."""
    module = getattr(request, "_card_parts", None)
    if module is None:
        user = request.user
        module = _template().make_module(
            vars={
                "user": user,
                "csrf_input": csrf_input(request) if user.is_authenticated else "",
                "site_root": f"{request.scheme}://{request.get_host()}",
                "link": linker(),
            }
        )
        request._card_parts = module
    return module


def cards_for(request, videos, *, slots=None, reasons=None, categories=None, followed=None) -> list[dict]:
    """One dict per card. `categories` (per position) and `followed` (creator ids) are passed
    when the caller has them already; otherwise they come from the videos' prefetched
    categories and one flags query."""
    videos = list(videos)
    flags = selectors.viewer_flags(user=request.user, videos=videos, followed=followed)
    cards = []
    for i, video in enumerate(videos):
        cards.append(
            {
                "video": video,
                "slot": (slots or {}).get(i, ""),
                "reason": (reasons or {}).get(i, ""),
                "categories": categories[i] if categories is not None else list(video.categories.all()),
                "liked": video.pk in flags["liked"],
                "favourited": video.pk in flags["favourited"],
                "following": video.creator_id in flags["following"],
            }
        )
    return cards
