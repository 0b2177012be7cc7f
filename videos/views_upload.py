"""Creator pages: upload, processing status, edit and delete.

The upload streams straight to a file under UPLOAD_TMP_ROOT through `LimitedUploadHandler`,
which stops reading once the body passes UPLOAD_MAX_BYTES; the service then probes the content
and owns the file (a refused upload leaves no row and no file). A body declared too large and an
account past UPLOADS_PER_HOUR are refused before the body is read."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from tiktok import ratelimit, staging
from videos import services, status_stage, uploads
from videos.forms import VideoDetailsForm, VideoEditForm
from videos.models import Video
from videos.selectors import staff_may_view_hidden

# Room for the form's text fields and multipart boundaries on top of the file itself.
FORM_OVERHEAD_BYTES = 64 * 1024
# UPLOADS_PER_HOUR counts in fixed windows of this many seconds.
UPLOAD_WINDOW = 3600


class ReceivedFile:
    """The streamed upload on disk (Django closes whatever sits in request.FILES)."""

    def __init__(self, path: Path, name: str, size: int):
        self.path, self.name, self.size = path, name, size

    def close(self):
        pass


class LimitedUploadHandler(FileUploadHandler):
    """Write the one `file` field to UPLOAD_TMP_ROOT, counting bytes as they arrive, and stop
    reading the request the moment it passes UPLOAD_MAX_BYTES."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = settings.UPLOAD_MAX_BYTES
        self.path: Path | None = None
        self.handle = None
        self.received = 0
        self.too_large = False

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        if field_name != "file" or self.path is not None:
            raise SkipFile
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.path = uploads.upload_temp_path()
        self.handle = self.path.open("wb")

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            self.discard()
            raise StopUpload(connection_reset=True)
        self.handle.write(raw_data)
        return None

    def file_complete(self, file_size):
        if self.handle is None:
            return None
        self.handle.close()
        self.handle = None
        return ReceivedFile(self.path, Path(self.file_name or "upload").name, file_size)

    def upload_interrupted(self):
        self.discard()

    def discard(self):
        """Remove whatever the service did not take (it moves accepted files away)."""
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def _limit_mb() -> str:
    return f"{settings.UPLOAD_MAX_BYTES / (1024 * 1024):.0f} MB"


def _uploader(request) -> str:
    return f"user:{request.user.pk}"


def _too_many() -> str:
    return f"You have reached the limit of {settings.UPLOADS_PER_HOUR} uploads per hour. Please try again later."


def _over_upload_limit(request) -> bool:
    """Whether this account has used up this hour's uploads (read only; the POST counts)."""
    return ratelimit.count("uploads", _uploader(request), window=UPLOAD_WINDOW) >= settings.UPLOADS_PER_HOUR


@csrf_exempt  # the handler must be installed before CSRF reads the body; _upload checks CSRF
@login_required
def upload(request):
    if request.method != "POST":
        return _upload(request, None)
    # Both refused before a byte of the body is read.
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > settings.UPLOAD_MAX_BYTES + FORM_OVERHEAD_BYTES:
        return _form_response(request, VideoDetailsForm(), f"The file is larger than the {_limit_mb()} limit.")
    if not ratelimit.hit("uploads", _uploader(request), limit=settings.UPLOADS_PER_HOUR, window=UPLOAD_WINDOW):
        return _form_response(request, VideoDetailsForm(), _too_many(), status=429)
    handler = LimitedUploadHandler(request)
    request.upload_handlers = [handler]
    try:
        return _upload(request, handler)
    finally:
        handler.discard()


@csrf_protect
@require_http_methods(["GET", "POST"])
def _upload(request, handler: LimitedUploadHandler | None):
    if request.method != "POST":
        error = _too_many() if _over_upload_limit(request) else ""
        return render(request, "videos/upload.html", _context(VideoDetailsForm(), error))
    form = VideoDetailsForm(request.POST)
    received = request.FILES.get("file")
    if handler is not None and handler.too_large:
        return _form_response(request, form, f"The file is larger than the {_limit_mb()} limit.")
    if not form.is_valid():
        return _form_response(request, form, "")
    if received is None:
        return _form_response(request, form, "Choose a video file to upload.")
    try:
        video = uploads.video_create(
            creator=request.user,
            source_path=received.path,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            categories=form.cleaned_data["categories"],
            visibility=form.cleaned_data["visibility"],
            allow_comments=form.cleaned_data["allow_comments"],
        )
    except ValidationError as exc:
        return _form_response(request, form, " ".join(exc.messages))
    target = reverse("videos:status", args=[video.public_id])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def _context(form, error: str = "") -> dict:
    return {
        "form": form,
        "error": error,
        "max_bytes": settings.UPLOAD_MAX_BYTES,
        "max_label": _limit_mb(),
        "min_seconds": settings.VIDEO_MIN_SECONDS,
        "max_seconds": settings.VIDEO_MAX_SECONDS,
    }


def _form_response(request, form, error: str, status: int = 422):
    # 422 so scripts and tests see a refusal; upload.js lets htmx swap it in.
    template = "videos/upload.html#form" if request.htmx else "videos/upload.html"
    return render(request, template, _context(form, error), status=status)


def _own_video(request, public_id) -> Video:
    """The signed-in creator's own video (staff may look at any status page)."""
    video = Video.objects.filter(public_id=public_id, deleted_at__isnull=True).select_related("creator").first()
    if video is None or video.creator_id != request.user.pk:
        raise Http404
    return video


def _is_final(video: Video) -> bool:
    if video.processing == Video.Processing.FAILED:
        return True
    return video.processing == Video.Processing.READY and video.moderation != Video.Moderation.PENDING


@login_required
def status(request, public_id):
    video = Video.objects.filter(public_id=public_id, deleted_at__isnull=True).select_related("creator").first()
    if video is None or not (video.creator_id == request.user.pk or staff_may_view_hidden(request.user)):
        raise Http404
    context = {
        "video": video,
        "final": _is_final(video),
        "stage": status_stage.video_stage(video=video),
        "poll_url": reverse("videos:status", args=[video.public_id]),
    }
    if request.htmx:
        return render(request, "videos/status.html#state", context)
    return render(request, "videos/status.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, public_id):
    video = _own_video(request, public_id)
    shown = staging.owner_version(video)  # a staged edit, while one waits for moderation
    initial = {
        "title": shown["title"],
        "description": shown["description"],
        "categories": list(video.categories.all()),
        "visibility": video.visibility,
        "allow_comments": video.allow_comments,
        "poster_time": video.poster_time,
    }
    form = VideoEditForm(request.POST or None, initial=initial, video=video)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.video_update(
                video=video,
                title=data["title"],
                description=data["description"],
                categories=data["categories"],
                visibility=data["visibility"],
                allow_comments=data["allow_comments"],
            )
            poster_time = data.get("poster_time")
            if poster_time is not None and abs(poster_time - video.poster_time) > 0.01:
                services.video_set_poster(video=video, seconds=poster_time)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, "Saved.")
            return redirect("videos:status", public_id=video.public_id)
    status_code = 422 if request.method == "POST" else 200
    return render(request, "videos/edit.html", {"form": form, "video": video}, status=status_code)


@login_required
@require_POST
def delete(request, public_id):
    video = _own_video(request, public_id)
    services.video_delete(video=video)
    messages.success(request, f"“{video.title}” was deleted.")
    target = reverse("videos:profile", args=[request.user.username])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)
