"""The creator edits the captions of their video; the edit goes through text moderation. Served at
/v/<public_id>/captions/edit/ beside the video's other pages (tiktok/urls.py)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from moderation.captions import video_captions_edit
from tiktok.errors import Refused
from videos.models import Video


class CaptionsForm(forms.Form):
    vtt = forms.CharField(
        required=False,
        label="Captions (WebVTT)",
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "true", "class": "captions-text"}),
        help_text="Keep the time lines (00:00:01.000 --> 00:00:02.500); change the words below them.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_captions(request, public_id):
    video = get_object_or_404(Video, public_id=public_id, creator=request.user, deleted_at__isnull=True)
    form = CaptionsForm(request.POST or None, initial={"vtt": video.captions_vtt or "WEBVTT\n\n"})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            decision = video_captions_edit(video=video, vtt=form.cleaned_data["vtt"])
        except Refused as exc:
            form.add_error("vtt", exc.message)
            status = 400
        else:
            if decision.outcome == "approved":
                messages.success(request, "Captions saved.")
            else:
                messages.warning(request, f"Captions saved; the video is now {decision.outcome}: {decision.reason}")
            return redirect("captions_edit", public_id=video.public_id)
    return render(request, "moderation/captions_edit.html", {"video": video, "form": form}, status=status)
