"""Recommender pages: the For You feed (its first page in the HTML, later pages through HTMX) and
picking interests (cold start)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from recommendations.discover import discover_for_viewer
from recommendations.models import ViewerProfile
from recommendations.selectors import feed_for_viewer
from recommendations.services import profile_set_interests
from tiktok.prepared import Prepared
from videos.cards import cards_for, page_size
from videos.models import Category, Video

MAX_INTERESTS = 10
MAX_SEEN = 300
CAUGHT_UP = "You're all caught up — here are some you might like again"
EAGER_CARDS = 3  # a page's first cards load their poster and media at once; the rest when near


# Every feed page after the first names the videos already shown (see tiktok.prepared).
_seen_ids = Prepared(
    lambda public_ids: Video.objects.filter(public_id__in=public_ids).values_list("pk"), public_ids=list
)


def _feed_page(request, seen_public_ids: list[str], *, caught_up_said: bool = False):
    exclude = {pk for (pk,) in _seen_ids.rows(public_ids=seen_public_ids)}
    # feed_for_viewer leaves out creators blocked either way, the viewer's own videos and
    # everything the viewer has seen or turned down.
    # Reading a page never starts a session (crawlers and bots would write a row each); a
    # signed-out viewer has one once the player sent an event.
    session_key = request.session.session_key or ""
    items = feed_for_viewer(user=request.user, session_key=session_key, exclude_ids=exclude, limit=page_size())
    videos = [item.video for item in items]
    cards = cards_for(
        request,
        videos,
        slots={i: item.slot for i, item in enumerate(items)},
        reasons={i: item.reason for i, item in enumerate(items)},
        categories=[item.categories for item in items],
        followed={item.video.creator_id for item in items if item.following},
    )
    again = [i for i, item in enumerate(items) if item.slot == "again"]
    if again and not caught_up_said:  # said once, on the first card seen before
        cards[again[0]]["notice"] = CAUGHT_UP
    seen = (seen_public_ids + [v.public_id for v in videos])[-MAX_SEEN:]
    return cards, seen, caught_up_said or bool(again)


def _more_url(seen: list[str], caught_up_said: bool) -> str:
    query = {"seen": ",".join(seen)} | ({"again": "1"} if caught_up_said else {})
    return f"{reverse('recommendations:feed_more')}?{urlencode(query)}"


def _parse_seen(raw: str) -> list[str]:
    return [p for p in raw.split(",") if 0 < len(p) <= 22][:MAX_SEEN]


@require_GET
def feed(request):
    """The For You feed: the first page is in the HTML; later pages arrive via HTMX."""
    cards, seen, said = _feed_page(request, [])
    for card in cards[:EAGER_CARDS]:
        card["eager"] = True
    context = {"cards": cards, "next_url": _more_url(seen, said), "tab": "foryou"}
    return render(request, "videos/feed.html", context)


@require_GET
def feed_more(request):
    said = request.GET.get("again") == "1"
    cards, seen, said = _feed_page(request, _parse_seen(request.GET.get("seen", "")), caught_up_said=said)
    context = {"cards": cards, "next_url": _more_url(seen, said), "more": True}
    return render(request, "videos/feed.html#cards", context)


@require_GET
def discover(request):
    """Trending videos, rising hashtags and creators to follow, from the nightly pools."""
    rows = discover_for_viewer(user=request.user)
    categories = Category.objects.filter(active=True)
    return render(request, "recommendations/discover.html", {"discover": rows, "categories": categories})


@login_required
@require_http_methods(["GET", "POST"])
def interests(request):
    """A new viewer picks a few categories; the next feed page starts from them."""
    categories = list(Category.objects.filter(active=True))
    if request.method == "POST":
        try:
            picked = [int(v) for v in request.POST.getlist("category")]
        except ValueError:
            return render(
                request,
                "recommendations/interests.html",
                {"categories": categories, "error": "Pick from the list."},
                status=400,
            )
        if len(picked) > MAX_INTERESTS:
            return render(
                request,
                "recommendations/interests.html",
                {"categories": categories, "error": f"Pick at most {MAX_INTERESTS}."},
                status=400,
            )
        profile_set_interests(user=request.user, category_ids=picked)
        messages.success(request, "Your feed will start from what you picked.")
        return redirect("recommendations:feed")
    chosen = ViewerProfile.objects.filter(user=request.user).values_list("interests", flat=True).first() or []
    return render(request, "recommendations/interests.html", {"categories": categories, "chosen": set(chosen)})
