"""Viewers report content, creators appeal rejections, staff see evidence frames. Views parse input
and call moderation.reports; refusals come back as one line."""

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_safe

from moderation import reports
from moderation.models import CATEGORIES, CATEGORY_NAMES
from moderation.video_stages import evidence_prefix
from tiktok import media_store
from tiktok.errors import Refused
from videos.models import Comment, Video
from videos.selectors import staff_may_view_hidden, video_for_viewer
from videos.views_media import serve_stored


class ReportForm(forms.Form):
    # Starts on a neutral prompt, so nobody files "sexual" by not choosing.
    category = forms.ChoiceField(
        choices=[("", "Choose a reason…"), *((c, CATEGORY_NAMES[c].capitalize()) for c in CATEGORIES)],
        label="What is wrong?",
        error_messages={"required": "Choose what is wrong."},
    )
    note = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}), label="Note")


class AppealForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 5}), label="Why is it wrong?")


def _reported_item(request, kind: str, key: str):
    if kind == "video":
        item = video_for_viewer(public_id=key, user=request.user)
    elif kind == "comment" and key.isdigit():
        item = Comment.objects.select_related("video").filter(pk=int(key), state="published").first()
        if item is not None and video_for_viewer(public_id=item.video.public_id, user=request.user) is None:
            item = None
    elif kind == "profile":
        item = get_user_model().objects.filter(username__iexact=key, is_active=True, banned_at__isnull=True).first()
    else:
        item = None
    if item is None:
        raise Http404
    return item


@require_http_methods(["GET", "POST"])
def report(request, kind, key):
    """Report a video, comment or profile. Anonymous viewers are refused (403), as are duplicates."""
    if not request.user.is_authenticated:
        if request.method == "POST":
            return HttpResponse("Sign in to report.", status=403, content_type="text/plain")
        return redirect_to_login(request.get_full_path())
    item = _reported_item(request, kind, key)
    form = ReportForm(request.POST or None)
    error = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                reports.report_create(
                    reporter=request.user, item=item, category=form.cleaned_data["category"],
                    note=form.cleaned_data["note"],
                )  # fmt: skip
            except Refused as exc:
                error = exc.message
                if request.htmx:
                    return HttpResponse(error, status=exc.status, content_type="text/plain")
                return render(request, "moderation/report.html", {"form": form, "item": item, "error": error},
                              status=exc.status)  # fmt: skip
            if request.htmx:
                return render(request, "moderation/report.html#done", {"item": item})
            return render(request, "moderation/report.html", {"done": True, "item": item})
        error = "Choose what the problem is."
    return render(request, "moderation/report.html", {"form": form, "item": item, "error": error},
                  status=400 if error else 200)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def appeal(request, public_id):
    video = get_object_or_404(Video, public_id=public_id, creator=request.user, deleted_at__isnull=True)
    form = AppealForm(request.POST or None)
    allowed = reports.appeal_allowed(video=video)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            reports.appeal_create(video=video, user=request.user, reason=form.cleaned_data["reason"])
        except Refused as exc:
            error = exc.message
        else:
            return render(request, "moderation/appeal.html", {"video": video, "done": True})
    elif request.method == "POST":
        error = "Say why the decision is wrong."
    return render(
        request,
        "moderation/appeal.html",
        {"video": video, "form": form, "allowed": allowed, "error": error},
        status=400 if error else 200,
    )


@require_safe
def evidence_frame(request, public_id, name):
    """A thumbnail of an evidence frame: only for those who may see the review queue."""
    user = request.user
    if not staff_may_view_hidden(user, "moderation.view_videoreview"):
        raise Http404
    if "/" in name or not name.startswith("frame-") or not name.endswith(".jpg"):
        raise Http404
    video = get_object_or_404(Video, public_id=public_id)
    stored = f"{evidence_prefix(video)}/{name}"
    if media_store.is_remote():
        return serve_stored(request, stored, "image/jpeg")
    try:
        path = media_store.fetch(stored, Path(settings.MEDIA_WORK_ROOT))
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(open(path, "rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response
