"""Viewer pages. Views parse input, call selectors and services, and render."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from accounts.models import User
from videos.selectors import listable_videos, video_for_viewer


def feed(request):
    videos = listable_videos().select_related("creator").order_by("-published_at")[:10]
    return render(request, "videos/feed.html", {"videos": videos})


def search(request):
    return render(request, "videos/search.html", {"q": request.GET.get("q", "")})


@login_required
def notifications(request):
    items = request.user.notifications.all()[:50]
    return render(request, "videos/notifications.html", {"items": items})


@login_required
def notification_badge(request):
    count = request.user.notifications.filter(read_at__isnull=True).count()
    return render(request, "videos/_badge.html", {"count": count})


def profile(request, username):
    person = get_object_or_404(User, username__iexact=username, is_active=True)
    videos = listable_videos().filter(creator=person).order_by("-published_at")
    return render(request, "videos/profile.html", {"person": person, "videos": videos})


def watch(request, public_id):
    video = video_for_viewer(public_id=public_id, user=request.user)
    if video is None:
        raise Http404("No such video")
    return render(request, "videos/watch.html", {"video": video})
