"""Admin for videos and their processing: encodings with their commands and logs, re-transcode,
and the managed category list. The approve and reject actions are added by moderation
(moderation/admin_videos.py), which owns human decisions."""

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.urls import reverse
from django.utils.html import format_html

from videos import transcoding
from videos.models import Category, Encoding, EncodingAttempt, Hashtag, Video


class NoteActionForm(ActionForm):
    note = forms.CharField(required=False, max_length=500, help_text="Kept in the decision history.")


class EncodingInline(admin.TabularInline):
    model = Encoding
    extra = 0
    can_delete = False
    fields = (
        "rendition",
        "status",
        "progress",
        "attempts",
        "width",
        "height",
        "size_bytes",
        "bitrate",
        "runtime_seconds",
        "error",
        "command",
        "log_tail",
    )
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    action_form = NoteActionForm
    list_display = ("title", "creator", "processing", "moderation", "visibility", "hidden", "created_at", "deleted_at")
    list_filter = ("processing", "moderation", "visibility", "hidden", "categories")
    search_fields = ("title", "description", "public_id", "creator__username")
    list_select_related = ("creator",)
    date_hierarchy = "created_at"
    filter_horizontal = ("categories",)
    inlines = [EncodingInline]
    actions = ["retranscode"]
    readonly_fields = (
        "public_id", "creator", "links", "processing", "processing_error", "moderation", "moderation_reason",
        "duration", "width", "height", "rotation", "has_audio", "poster", "preview", "source_path",
        "created_at", "published_at", "deleted_at", "hashtags",
    )  # fmt: skip
    fields = (
        "public_id", "links", "creator", "title", "description", "categories", "hashtags", "visibility",
        "allow_comments", "hidden", "processing", "processing_error", "moderation", "moderation_reason",
        "duration", "width", "height", "rotation", "has_audio", "poster_time", "poster", "preview", "source_path",
        "created_at", "published_at", "deleted_at",
    )  # fmt: skip

    @admin.display(description="Links")
    def links(self, obj):
        if not obj.pk:
            return "-"
        return format_html(
            '<a href="{}">status</a> · <a href="{}">720p</a> · <a href="{}">360p</a> · <a href="{}">poster</a>',
            reverse("videos:status", args=[obj.public_id]),
            reverse("videos:media", args=[obj.public_id, "720p"]),
            reverse("videos:media", args=[obj.public_id, "360p"]),
            reverse("videos:poster", args=[obj.public_id]),
        )

    @admin.action(description="Re-transcode selected videos")
    def retranscode(self, request, queryset):
        count = 0
        for video in queryset.filter(deleted_at__isnull=True):
            transcoding.video_retranscode(video=video)
            count += 1
        self.message_user(request, f"Queued {count} video(s) for transcoding.")


class EncodingAttemptInline(admin.TabularInline):
    model = EncodingAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "finished_at", "outcome", "error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Encoding)
class EncodingAdmin(admin.ModelAdmin):
    list_display = ("video", "rendition", "status", "progress", "attempts", "runtime_seconds", "heartbeat_at")
    list_filter = ("status", "rendition")
    search_fields = ("video__title", "video__public_id")
    list_select_related = ("video",)
    inlines = [EncodingAttemptInline]
    readonly_fields = [f.name for f in Encoding._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position", "active")
    list_editable = ("position", "active")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


@admin.register(Hashtag)
class HashtagAdmin(admin.ModelAdmin):
    list_display = ("__str__",)
    search_fields = ("name",)
