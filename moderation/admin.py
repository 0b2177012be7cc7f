"""The moderation admin: the comment review queue (per-category probabilities as chips, filters by
category and score, bulk approve or reject with a note, decision history inline), policies,
the read-only decision log and classifier versions."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from moderation import (
    admin_videos,  # the video review queue and report queue register themselves there
    decisions,
    queues,
    services,
)
from moderation.models import (
    CATEGORIES,
    CATEGORY_NAMES,
    CommentReview,
    ModerationDecision,
    ModerationPolicy,
    ProfileReview,
)
from tiktok.models import ModelVersion
from videos.models import Comment

QUEUE_STATES = [Comment.State.HELD, Comment.State.REJECTED]


def chip_colour(value: float) -> str:
    return "#b00020" if value >= 0.9 else "#a35f00" if value >= 0.5 else "#6b6b00" if value >= 0.2 else "#2e7d32"


def probability_chips(scores: dict, minimum: float = 0.0):
    items = [(c, float(scores.get(c, 0.0))) for c in CATEGORIES if float(scores.get(c, 0.0)) >= minimum]
    if not items:
        return "—"
    return format_html_join(
        " ",
        '<span class="prob-chip" title="{}" style="display:inline-block;padding:1px 6px;margin:1px;'
        'border-radius:8px;color:#fff;background:{}">{} {}</span>',
        ((CATEGORY_NAMES[c], chip_colour(v), c, f"{v:.2f}") for c, v in items),
    )


def latest_auto_scores(comment_ids) -> dict[int, dict]:
    """comment id -> scores of its latest automatic decision, in one query."""
    ct = ContentType.objects.get_for_model(Comment)
    rows = (
        ModerationDecision.objects.filter(content_type=ct, object_id__in=list(comment_ids), source="auto")
        .order_by("object_id", "-created_at", "-id")
        .values_list("object_id", "scores")
    )
    latest: dict[int, dict] = {}
    for object_id, scores in rows:
        latest.setdefault(object_id, scores or {})
    return latest


class CommentCategoryFilter(admin.SimpleListFilter):
    title = "category (probability ≥ 0.5)"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [(c, f"{c} ({CATEGORY_NAMES[c]})") for c in CATEGORIES]

    def queryset(self, request, queryset):
        category = self.value()
        if category not in CATEGORIES:
            return queryset
        scores = latest_auto_scores(queryset.values_list("pk", flat=True))
        return queryset.filter(pk__in=[pk for pk, s in scores.items() if s.get(category, 0) >= 0.5])


class CommentScoreFilter(admin.SimpleListFilter):
    title = "highest probability"
    parameter_name = "score"
    BANDS = {"high": (0.9, 2.0), "medium": (0.5, 0.9), "low": (0.2, 0.5), "none": (-1.0, 0.2)}

    def lookups(self, request, model_admin):
        return [("high", "≥ 0.9"), ("medium", "0.5 – 0.9"), ("low", "0.2 – 0.5"), ("none", "< 0.2 or not scored")]

    def queryset(self, request, queryset):
        band = self.BANDS.get(self.value())
        if band is None:
            return queryset
        low, high = band
        ids = list(queryset.values_list("pk", flat=True))
        scores = latest_auto_scores(ids)
        keep = [pk for pk in ids if low <= max(scores.get(pk, {}).values(), default=0.0) < high]
        return queryset.filter(pk__in=keep)


class CommentActionForm(ActionForm):
    note = forms.CharField(required=False, max_length=500, label="Note", widget=forms.TextInput(attrs={"size": 40}))
    category = forms.ChoiceField(
        required=False,
        label="Category (for rejections)",
        choices=[("", "— as flagged —"), *[(c, f"{c} {CATEGORY_NAMES[c]}") for c in CATEGORIES]],
    )


class DecisionInline(GenericTabularInline):
    """Every decision on the item, newest first; read-only because decisions are never edited."""

    model = ModerationDecision
    ct_field = "content_type"
    ct_fk_field = "object_id"
    extra = 0
    can_delete = False
    ordering = ["-created_at", "-id"]
    fields = ["created_at", "source", "actor", "outcome", "reason", "chips", "version"]
    readonly_fields = fields
    verbose_name = "decision"
    verbose_name_plural = "decision history"

    @admin.display(description="probabilities")
    def chips(self, obj):
        return probability_chips(obj.scores or {}, minimum=0.05) if obj.scores else "—"

    @admin.display(description="model")
    def version(self, obj):
        return (obj.model_versions or {}).get("comment_classifier", "—")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("moderation.view_moderationdecision") or request.user.has_perm(
            "moderation.view_commentreview"
        )


@admin.register(CommentReview)
class CommentReviewAdmin(admin.ModelAdmin):
    list_display = ["excerpt", "author", "video_link", "state", "chips", "created_at"]
    list_filter = ["state", CommentCategoryFilter, CommentScoreFilter, "created_at"]
    search_fields = ["text", "author__username"]
    list_select_related = ["author", "video"]
    actions = ["approve", "reject"]
    action_form = CommentActionForm
    inlines = [DecisionInline]
    fields = ["text_escaped", "author", "video_link", "state", "chips", "created_at"]
    readonly_fields = fields
    ordering = ["-created_at"]
    list_per_page = 50

    def get_queryset(self, request):
        ct = ContentType.objects.get_for_model(Comment)
        latest = ModerationDecision.objects.filter(content_type=ct, object_id=OuterRef("pk"), source="auto").order_by(
            "-created_at", "-id"
        )
        queryset = (
            super()
            .get_queryset(request)
            .annotate(latest_scores=Subquery(latest.values("scores")[:1], output_field=models.JSONField()))
        )
        # The list is the queue (held and rejected) unless a state is picked; a decided comment's
        # page, with its history, stays reachable.
        listing = (getattr(request.resolver_match, "url_name", "") or "").endswith("_changelist")
        if listing and "state__exact" not in request.GET:
            queryset = queryset.filter(state__in=QUEUE_STATES)
        return queryset

    @admin.display(description="comment")
    def excerpt(self, obj):
        text = obj.text if len(obj.text) <= 120 else obj.text[:117] + "…"
        return text or "(empty)"

    @admin.display(description="text")
    def text_escaped(self, obj):
        return format_html('<div style="white-space:pre-wrap;max-width:60em">{}</div>', obj.text)

    @admin.display(description="video")
    def video_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("videos:watch", args=[obj.video.public_id]), obj.video.title)

    @admin.display(description="probabilities")
    def chips(self, obj):
        return probability_chips(getattr(obj, "latest_scores", None) or {}, minimum=0.05)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # "Delete" removes the comment from the site as a moderator's rejection (delete_model):
        # the row stays, with its decision, strike and notice, like every human decision.
        return request.user.has_perm("moderation.change_commentreview")

    def has_change_permission(self, request, obj=None):
        # Moderators act through the actions; the fields themselves are never edited.
        return request.user.has_perm("moderation.change_commentreview") and obj is None

    def delete_model(self, request, obj):
        decisions.comment_decide(
            comment=obj, outcome=ModerationDecision.Outcome.REJECTED, actor=request.user, note="Removed by a moderator."
        )

    def delete_queryset(self, request, queryset):
        decisions.comments_decide(
            comments=list(queryset.select_related("author", "video")),
            outcome=ModerationDecision.Outcome.REJECTED,
            actor=request.user,
            note="Removed by a moderator.",
        )

    def _decide(self, request, queryset, outcome):
        note = (request.POST.get("note") or "").strip()
        category = request.POST.get("category") or ""
        count = decisions.comments_decide(
            comments=list(queryset.select_related("author")),
            outcome=outcome,
            actor=request.user,
            note=note,
            categories=[category] if category else [],
        )
        self.message_user(request, f"{count} comment(s) {outcome}.", messages.SUCCESS)

    @admin.action(description="Approve selected comments (publish, with the note)", permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, ModerationDecision.Outcome.APPROVED)

    @admin.action(description="Reject selected comments (with the note and category)", permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, ModerationDecision.Outcome.REJECTED)


@admin.register(ModerationPolicy)
class ModerationPolicyAdmin(admin.ModelAdmin):
    list_display = ["scope", "category", "review_threshold", "reject_threshold", "changed_by_moderator"]
    list_editable = ["review_threshold", "reject_threshold"]
    list_filter = ["scope", "category", "changed_by_moderator"]
    ordering = ["scope", "category"]
    readonly_fields = ["changed_by_moderator"]

    def save_model(self, request, obj, form, change):
        # A threshold a person set is theirs: the model's proposals no longer replace it.
        if {"review_threshold", "reject_threshold"} & set(form.changed_data):
            obj.changed_by_moderator = True
        super().save_model(request, obj, form, change)


@admin.register(ModerationDecision)
class ModerationDecisionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "content_type", "object_id", "source", "actor", "outcome", "chips", "reason"]
    list_filter = ["source", "outcome", "content_type", "created_at"]
    search_fields = ["text_snapshot", "reason"]
    list_select_related = ["content_type", "actor"]

    @admin.display(description="probabilities")
    def chips(self, obj):
        return probability_chips(obj.scores or {}, minimum=0.05) if obj.scores else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["kind", "version", "active", "any_auprc", "created_at", "activated_at"]
    list_filter = ["kind", "active"]
    readonly_fields = [
        "kind",
        "version",
        "artifact_path",
        "metrics",
        "params",
        "active",
        "created_at",
        "activated_at",
    ]
    actions = ["activate"]

    @admin.display(description="held-out any AUPRC")
    def any_auprc(self, obj):
        value = (obj.metrics or {}).get("heldout", {}).get("any_auprc")
        return "—" if value is None else f"{value:.3f}"

    def has_add_permission(self, request):
        return False

    @admin.action(description="Activate the selected comment classifier", permissions=["change"])
    def activate(self, request, queryset):
        versions = list(queryset.filter(kind="comment_classifier"))
        if len(versions) != 1:
            self.message_user(request, "Select exactly one comment classifier version.", messages.ERROR)
            return
        services.comment_model_activate(model_version=versions[0])
        self.message_user(request, f"{versions[0].version} is now active.", messages.SUCCESS)


@admin.register(ProfileReview)
class ProfileReviewAdmin(admin.ModelAdmin):
    """Staged profile edits that the text decision held for a person (tiktok.staging): the live
    profile stays what others see until an edit is approved here."""

    list_display = ["username", "live_name", "staged_name", "staged_bio_short", "pictures", "staged_at"]
    search_fields = ["username", "staged_display_name", "staged_bio"]
    ordering = ["staged_at"]
    actions = ["approve_edits", "reject_edits"]
    action_form = admin_videos.NoteActionForm
    list_per_page = 50

    def get_queryset(self, request):
        return queues.profiles_waiting(super().get_queryset(request))

    @admin.display(description="live name")
    def live_name(self, obj):
        return obj.display_name or "—"

    @admin.display(description="new name")
    def staged_name(self, obj):
        return obj.staged_display_name or "—"

    @admin.display(description="new bio")
    def staged_bio_short(self, obj):
        return (obj.staged_bio[:117] + "…" if len(obj.staged_bio) > 120 else obj.staged_bio) or "—"

    @admin.display(description="picture: live → new")
    def pictures(self, obj):
        def img(url):
            return format_html('<img src="{}" alt="" width="40" height="40">', url) if url else "none"

        if obj.staged_avatar.name == obj.avatar.name:
            return "unchanged"
        return format_html("{} → {}", img(obj.avatar_url), img(obj.staged_avatar_url))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Moderators act through the actions; the profile's fields are never edited here.
        return request.user.has_perm("moderation.change_profilereview") and obj is None

    def _decide(self, request, queryset, outcome):
        note = (request.POST.get("note") or "").strip()
        if outcome == ModerationDecision.Outcome.REJECTED and not note:
            self.message_user(request, "Write a note for a rejection: the person reads it.", messages.ERROR)
            return
        count = 0
        for user in queryset:
            decisions.staged_decide(item=user, outcome=outcome, actor=request.user, note=note)
            count += 1
        self.message_user(request, f"{count} profile edit(s) {outcome}.", messages.SUCCESS)

    @admin.action(description="Approve the selected edits (they replace the live profiles)", permissions=["change"])
    def approve_edits(self, request, queryset):
        self._decide(request, queryset, ModerationDecision.Outcome.APPROVED)

    @admin.action(description="Reject the selected edits (with the note)", permissions=["change"])
    def reject_edits(self, request, queryset):
        self._decide(request, queryset, ModerationDecision.Outcome.REJECTED)
