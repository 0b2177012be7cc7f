"""Viewer pages and actions. Views parse input, call selectors and services, and render; one
view serves both the full page and its HTMX fragment."""

from csp.decorators import csp_exempt
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts import services as account_services
from accounts.models import User
from tiktok import ratelimit, viewer_tokens
from tiktok.errors import Refused
from tiktok.sessions import session_dropped_if_refused, session_key_started
from videos import commenting, engagement, likes, selectors
from videos.cards import cards_for, page_size
from videos.cards import parts as card_parts
from videos.models import Category, Comment, Video

MAX_SEEN = 300


def _session_key(request) -> str:
    # A signed-out viewer's events tie to their session: an action starts one if need be (a
    # refused one drops it again, see session_dropped_if_refused). Pages only read it.
    return session_key_started(request)


def _slot(request) -> str:
    slot = request.POST.get("slot", "") if request.method == "POST" else request.GET.get("slot", "")
    return slot if slot in engagement.SLOTS else ""


def _back(request, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or default
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = default
    return HttpResponseRedirect(target)


@require_GET
def following(request):
    if not request.user.is_authenticated:
        return render(request, "videos/feed.html", {"cards": [], "tab": "following", "anonymous": True})
    try:
        offset = max(0, min(int(request.GET.get("offset", 0)), 10_000))
    except ValueError:
        offset = 0
    size = page_size()
    videos = selectors.following_videos(user=request.user, offset=offset, limit=size)
    cards = cards_for(request, videos, slots=dict.fromkeys(range(len(videos)), "following"))
    for card in cards:
        card["reason"] = "A creator you follow."
    context = {
        "cards": cards,
        "tab": "following",
        "next_url": f"{reverse('videos:following')}?offset={offset + size}" if len(videos) == size else "",
        "more": bool(offset),
    }
    template = "videos/feed.html#cards" if request.htmx and offset else "videos/feed.html"
    return render(request, template, context)


@require_GET
def watch(request, public_id):
    video = selectors.video_for_actor(public_id=public_id, user=request.user)
    if video is None:
        raise Http404("No such video")
    card = cards_for(request, [video], slots={0: "watch"})[0]
    card["eager"] = True  # the page's one clip loads at once
    return render(
        request,
        "videos/watch.html",
        {
            "video": video,
            "cards": [card],
            "page_url": request.build_absolute_uri(reverse("videos:watch", args=[public_id])),
        },
    )


def _actor_video(request, public_id) -> Video:
    video = selectors.video_for_actor(public_id=public_id, user=request.user)
    if video is None:
        raise Http404("No such video")
    return video


def _need_login(request):
    if request.user.is_authenticated:
        return None
    return HttpResponse("Log in to do that.", status=403, content_type="text/plain; charset=utf-8")


@require_POST
def like(request, public_id):
    if (resp := _need_login(request)) is not None:
        return resp
    video = _actor_video(request, public_id)
    action = request.POST.get("action", "toggle")
    if action == "toggle":
        liked, count = likes.like_toggle(
            user=request.user, video=video, slot=_slot(request), session_key=_session_key(request)
        )
    elif action in ("like", "unlike"):
        liked, count = likes.like_set(
            user=request.user,
            video=video,
            liked=action == "like",
            slot=_slot(request),
            session_key=_session_key(request),
        )
    else:
        return HttpResponse("Unknown action.", status=400, content_type="text/plain")
    if not request.htmx:
        return _back(request, reverse("videos:watch", args=[public_id]))
    video.like_count = count
    return HttpResponse(card_parts(request).like(video, liked, _slot(request)))


@require_POST
def favourite(request, public_id):
    if (resp := _need_login(request)) is not None:
        return resp
    video = _actor_video(request, public_id)
    on, count = likes.favourite_toggle(
        user=request.user, video=video, slot=_slot(request), session_key=_session_key(request)
    )
    if not request.htmx:
        return _back(request, reverse("videos:watch", args=[public_id]))
    video.favourite_count = count
    return HttpResponse(card_parts(request).favourite(video, on, _slot(request)))


def _signed_out_session(request) -> str:
    """A signed-out viewer's session for an engagement (an event or a share): it needs the viewer
    token their page view set, counts against their address's limits, and the first accepted one
    starts the session the token keeps."""
    viewer = viewer_tokens.viewer_id(request)
    if viewer is None:
        raise Refused("Reload the page to record views (no valid viewer token).", status=403)
    address = ratelimit.client_key(request)
    if not ratelimit.hit("anon-events", address, limit=settings.ANON_EVENTS_PER_MINUTE_PER_IP, window=60):
        raise Refused("Too many events from this address; slow down.", status=429)
    session_key = session_key_started(request, viewer=viewer)
    if getattr(request, "session_started_here", False) and not ratelimit.hit(
        "anon-viewers", address, limit=settings.ANON_VIEWERS_PER_HOUR_PER_IP, window=3600
    ):  # a new viewer: the session just started is dropped again (session_dropped_if_refused)
        raise Refused("Too many new viewers from this address; try again later.", status=429)
    return session_key


@require_POST
@session_dropped_if_refused
def share(request, public_id):
    video = _actor_video(request, public_id)
    session_key = _session_key(request) if request.user.is_authenticated else _signed_out_session(request)
    count = engagement.share_record(user=request.user, session_key=session_key, video=video, slot=_slot(request))
    return HttpResponse(str(count), content_type="text/plain")


@require_POST
def not_interested(request, public_id):
    if (resp := _need_login(request)) is not None:
        return resp
    video = _actor_video(request, public_id)
    engagement.not_interested_mark(
        user=request.user, video=video, slot=_slot(request), session_key=_session_key(request)
    )
    if not request.htmx:
        return _back(request, reverse("recommendations:feed"))
    return HttpResponse(card_parts(request).hidden(video))


def comments(request, public_id):
    """GET: a page of the comments panel. POST: post a comment or reply."""
    video = _actor_video(request, public_id)
    if request.method == "POST":
        return _comment_post(request, video)
    if request.method != "GET":
        return HttpResponse("Method not allowed.", status=405)
    try:
        before = int(request.GET["before"]) if request.GET.get("before") else None
    except ValueError:
        return HttpResponse("before must be a comment id.", status=400, content_type="text/plain")
    page, has_more = selectors.comments_for_video(video=video, user=request.user, before=before)
    context = {"video": video, "comments": page, "has_more": has_more, "next_before": page[-1].pk if page else None}
    if before:
        return render(request, "videos/comments.html#page", context)
    template = "videos/comments.html#panel" if request.htmx else "videos/comments.html"
    return render(request, template, context)


MAX_ID = 2**63 - 1  # the largest id a database row can have; larger numbers are not ids


@require_GET
def comment_replies(request, public_id, pk):
    """GET: the next page of one comment's replies (the panel's "More replies"), oldest first."""
    video = _actor_video(request, public_id)
    try:
        after = int(request.GET["after"]) if request.GET.get("after") else None
    except ValueError:
        after = -1
    if after is not None and not 0 <= after <= MAX_ID:
        return HttpResponse("after must be a reply id.", status=400, content_type="text/plain")
    found = pk <= MAX_ID and selectors.comment_replies(video=video, parent_id=pk, user=request.user, after=after)
    if not found:
        raise Http404("No such comment")
    parent, replies, has_more = found
    context = {
        "video": video,
        "c": parent,
        "replies": replies,
        "has_more": has_more,
        "next_after": replies[-1].pk if replies else after,
        "thread": True,
    }
    return render(request, "videos/comments.html#replies_page" if request.htmx else "videos/comments.html", context)


def _comment_post(request, video):
    if (resp := _need_login(request)) is not None:
        return resp
    comment = commenting.comment_post(
        user=request.user,
        video=video,
        text=request.POST.get("text", ""),
        parent_id=request.POST.get("parent") or None,
        slot=_slot(request),
        session_key=_session_key(request),
    )
    if not request.htmx:
        return HttpResponseRedirect(reverse("videos:watch", args=[video.public_id]))
    comment.shown_replies = []
    context = {"video": video, "c": comment, "fresh": True, "comment_count": selectors.comment_count(video=video)}
    return render(request, "videos/comments.html#posted", context)


@require_POST
def comment_delete(request, pk):
    if (resp := _need_login(request)) is not None:
        return resp
    comment = Comment.objects.select_related("video__creator").filter(pk=pk).first()
    if comment is None or selectors.video_for_actor(public_id=comment.video.public_id, user=request.user) is None:
        return HttpResponse("No such comment.", status=404, content_type="text/plain")
    commenting.comment_delete(user=request.user, comment=comment)
    if not request.htmx:
        return HttpResponseRedirect(reverse("videos:watch", args=[comment.video.public_id]))
    # The comment's element is swapped out for nothing; the counts update out of band.
    context = {"video": comment.video, "comment_count": selectors.comment_count(video=comment.video)}
    return render(request, "videos/comments.html#counts", context)


@require_POST
@csp_exempt()  # an empty 204: there is no document for a policy to govern
@session_dropped_if_refused
def event(request):
    """The player's beacon: one engagement event per request, CSRF token in the body. A
    signed-out viewer's event needs the viewer token their page view set, and counts against
    their address's limits; its first accepted one starts the session the token keeps."""
    session_key = "" if request.user.is_authenticated else _signed_out_session(request)
    engagement.events_record(
        user=request.user,
        session_key=session_key,
        public_id=request.POST.get("video", ""),
        kind=request.POST.get("kind", ""),
        watch_seconds=request.POST.get("watch_seconds"),
        completion=request.POST.get("completion"),
        slot=request.POST.get("slot", ""),
    )
    return HttpResponse(status=204)


# --- People -----------------------------------------------------------------------------------


def _person(username) -> User:
    return get_object_or_404(User, username__iexact=username, is_active=True, banned_at__isnull=True)


@require_POST
def follow(request, username):
    if (resp := _need_login(request)) is not None:
        return resp
    person = _person(username)
    if selectors.is_blocked_between(user=request.user, other=person):
        return HttpResponse("You cannot follow this account.", status=403, content_type="text/plain")
    action = request.POST.get("action", "toggle")
    currently = person.follower_set.filter(follower=request.user).exists()
    want = {"follow": True, "unfollow": False, "toggle": not currently}.get(action)
    if want is None:
        return HttpResponse("Unknown action.", status=400, content_type="text/plain")
    if want:
        made = account_services.follow_create(follower=request.user, followee=person)
        public_id = request.POST.get("video", "")
        video = selectors.video_for_actor(public_id=public_id, user=request.user) if public_id else None
        if made and video is not None and video.creator_id == person.pk:
            engagement.follow_event_record(
                user=request.user, session_key=_session_key(request), video=video, slot=_slot(request)
            )
    else:
        account_services.follow_delete(follower=request.user, followee=person)
    if not request.htmx:
        return _back(request, reverse("videos:profile", args=[person.username]))
    return HttpResponse(card_parts(request).follow(person, want, request.POST.get("video", ""), _slot(request)))


@require_POST
def block(request, username):
    if (resp := _need_login(request)) is not None:
        return resp
    person = _person(username)
    if request.POST.get("action", "block") == "unblock":
        account_services.block_delete(blocker=request.user, blocked=person)
    else:
        account_services.block_create(blocker=request.user, blocked=person)
    return HttpResponseRedirect(reverse("videos:profile", args=[person.username]))


@require_GET
def profile(request, username):
    person = _person(username)
    viewer = request.user
    is_owner = viewer.is_authenticated and viewer.pk == person.pk
    tab = request.GET.get("tab", "videos")
    if tab not in ("videos", "liked", "favourites") or (tab == "favourites" and not is_owner):
        tab = "videos"
    i_blocked = viewer.is_authenticated and person.blocked_by_set.filter(blocker=viewer).exists()
    blocked = selectors.is_blocked_between(user=viewer, other=person)
    videos, stats = [], {}
    if not blocked:
        if tab == "liked":
            videos = selectors.liked_videos(person=person, viewer=viewer)[:60]
        elif tab == "favourites":
            videos = selectors.favourite_videos(person=person)[:60]
        else:
            videos = selectors.profile_videos(person=person, viewer=viewer)[:60]
            if is_owner:
                stats = selectors.creator_video_stats(person=person)
    videos = list(videos)
    for video in videos:
        video.stats = stats.get(video.pk)
    return render(
        request,
        "videos/profile.html",
        {
            "person": person,
            "videos": videos,
            "tab": tab,
            "is_owner": is_owner,
            "blocked": blocked,
            "i_blocked": i_blocked,
            "counts": selectors.profile_counts(person=person),
            "following": viewer.is_authenticated and person.follower_set.filter(follower=viewer).exists(),
        },
    )


# --- Discovery --------------------------------------------------------------------------------


def _sort(request) -> str:
    return "engaging" if request.GET.get("sort") == "engaging" else "newest"


@require_GET
def category(request, slug):
    cat = get_object_or_404(Category, slug=slug, active=True)
    sort = _sort(request)
    videos = list(selectors.category_videos(category=cat, viewer=request.user, sort=sort)[:60])
    return render(
        request,
        "videos/discover.html",
        {"heading": cat.name, "subtitle": cat.description, "videos": videos, "sort": sort},
    )


@require_GET
def hashtag(request, name):
    tag = selectors.listed_hashtag(name=name)
    if tag is None:  # unknown, or carried only by videos others cannot list: the same 404
        raise Http404("No such hashtag")
    sort = _sort(request)
    videos = list(selectors.hashtag_videos(hashtag=tag, viewer=request.user, sort=sort)[:60])
    return render(request, "videos/discover.html", {"heading": f"#{tag.name}", "videos": videos, "sort": sort})


SEARCH_PAGE_SIZE = 60  # videos per page of search results
SEARCH_MAX_PAGES = 20  # deeper pages are refused: nobody reads them, and OFFSET costs grow


@require_GET
def search(request):
    q = request.GET.get("q", "").strip()[:100]
    try:
        page = int(request.GET.get("page") or 1)
    except ValueError:
        page = 0
    if not 1 <= page <= SEARCH_MAX_PAGES:
        message = f"page must be a whole number from 1 to {SEARCH_MAX_PAGES}."
        return HttpResponse(message, status=400, content_type="text/plain")
    videos, people, more = [], [], False
    if q:
        start = (page - 1) * SEARCH_PAGE_SIZE
        videos = list(selectors.search_videos(q=q, viewer=request.user)[start : start + SEARCH_PAGE_SIZE + 1])
        more = len(videos) > SEARCH_PAGE_SIZE and page < SEARCH_MAX_PAGES
        videos = videos[:SEARCH_PAGE_SIZE]
        people = selectors.search_people(q=q, viewer=request.user) if page == 1 else []
    categories = Category.objects.filter(active=True)
    context = {"q": q, "videos": videos, "people": people, "categories": categories, "page": page, "more": more}
    return render(request, "videos/search.html", context)


@login_required
@require_GET
def history(request):
    videos = selectors.watch_history(user=request.user)
    return render(request, "videos/discover.html", {"heading": "Watch history", "videos": videos, "history": True})


# --- Notifications ----------------------------------------------------------------------------


@login_required
@require_GET
def notifications(request):
    items = list(request.user.notifications.select_related("actor")[:50])
    account_services.notifications_mark_read(user=request.user)
    return render(request, "videos/notifications.html", {"items": items, "unread_notifications": 0})


@login_required
@require_GET
def notification_badge(request):
    count = request.user.notifications.filter(read_at__isnull=True).count()
    return render(request, "videos/_badge.html", {"count": count})
