"""The moderators' queue for videos and for user reports in the admin: the video playable with its
captions, per-stage and per-category scores, evidence frames, transcript, decision history, and
approve / reject / re-run with a note (one at a time or in bulk)."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from moderation import decisions, queues, sanctions
from moderation import reports as moderation_reports
from moderation.models import CATEGORIES, CATEGORY_NAMES, ModerationDecision, Report, VideoReview
from moderation.services import decisions_for, policy_thresholds
from moderation.video_jobs import video_moderation_enqueue
from moderation.video_rules import VISUAL_LIMITATION
from tiktok import staging
from tiktok.errors import Refused
from videos.admin import VideoAdmin
from videos.models import Video

SCORE_BANDS = {"high": (0.9, 2.0), "medium": (0.5, 0.9), "low": (0.3, 0.5)}


def _latest_screen(video) -> ModerationDecision | None:
    cached = getattr(video, "_latest_screen", False)
    if cached is False:
        cached = decisions_for(item=video).filter(source=ModerationDecision.Source.AUTO, action="screen").first()
        video._latest_screen = cached
    return cached


def _chips(scores: dict, *, minimum: float = 0.0):
    items = [(c, scores.get(c, 0.0)) for c in CATEGORIES if scores.get(c, 0.0) >= minimum]
    if not items:
        return "—"

    def colour(v):
        return "#b00020" if v >= 0.9 else "#a35f00" if v >= 0.5 else "#6b6b00" if v >= 0.3 else "#2e7d32"

    return format_html_join(
        " ",
        '<span title="{}" style="display:inline-block;padding:1px 6px;border-radius:8px;color:#fff;'
        'background:{}">{} {}</span>',
        ((CATEGORY_NAMES[c], colour(v), c, f"{v:.2f}") for c, v in items),
    )


def _video_ids_matching(queryset, test) -> list[int]:
    """Videos whose latest automatic decision passes `test(scores)`; the queue is small enough to
    judge in Python, and the scores live in JSON."""
    ct = ContentType.objects.get_for_model(Video)
    latest = {}
    rows = ModerationDecision.objects.filter(
        content_type=ct, object_id__in=queryset.values("pk"), source="auto", action="screen"
    ).order_by("object_id", "-created_at", "-id")
    for object_id, scores in rows.values_list("object_id", "scores"):
        latest.setdefault(object_id, scores)
    return [pk for pk, scores in latest.items() if test(scores or {})]


class CategoryFilter(admin.SimpleListFilter):
    title = "category (at review threshold or above)"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [(c, f"{c} ({CATEGORY_NAMES[c]})") for c in CATEGORIES]

    def queryset(self, request, queryset):
        if self.value() not in CATEGORIES:
            return queryset
        code = self.value()
        floor = policy_thresholds(scope="videos")[code]["review"]
        return queryset.filter(pk__in=_video_ids_matching(queryset, lambda s: s.get(code, 0.0) >= floor))


class ScoreFilter(admin.SimpleListFilter):
    title = "highest score"
    parameter_name = "score"

    def lookups(self, request, model_admin):
        return [("high", "≥ 0.9"), ("medium", "0.5 – 0.9"), ("low", "0.3 – 0.5")]

    def queryset(self, request, queryset):
        if self.value() not in SCORE_BANDS:
            return queryset
        low, high = SCORE_BANDS[self.value()]
        return queryset.filter(
            pk__in=_video_ids_matching(queryset, lambda s: low <= max(s.values(), default=0.0) < high)
        )


class QueueFilter(admin.SimpleListFilter):
    """The queue opens on what needs a decision (moderation.queues.videos_waiting); "all videos"
    lists everything, and so does picking a moderation state."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("waiting", "needs a decision"), ("all", "all videos")]

    def value(self):
        chosen = super().value()
        if chosen in ("waiting", "all"):
            return chosen
        # An action names its videos by their ids: it reaches each one selected, listed or not.
        return "all" if self.explicit_state or self.acting else "waiting"

    def __init__(self, request, params, model, model_admin):
        self.explicit_state = "moderation__exact" in params
        self.acting = request.method == "POST"
        super().__init__(request, params, model, model_admin)

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        return queryset if self.value() == "all" else queues.videos_waiting(queryset)


class AppealedFilter(admin.SimpleListFilter):
    title = "appealed"
    parameter_name = "appealed"

    def lookups(self, request, model_admin):
        return [("open", "appeal waiting"), ("any", "ever appealed")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(appealed_at__isnull=False, moderation=Video.Moderation.REVIEW)
        if self.value() == "any":
            return queryset.filter(appealed_at__isnull=False)
        return queryset


class NoteActionForm(ActionForm):
    note = forms.CharField(required=False, max_length=500, label="Note", widget=forms.TextInput(attrs={"size": 40}))


class VideoDecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(
        required=False,
        choices=[
            ("", "— no change —"),
            ("approved", "Approve"),
            ("rejected", "Reject"),
            ("review", "Keep in review"),
            ("rerun", "Re-run automatic moderation"),
            ("approve_edit", "Approve the waiting edit of the title and description"),
            ("reject_edit", "Reject the waiting edit (the current text stays)"),
        ],
    )
    note = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))

    class Meta:
        model = VideoReview
        fields = []

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision in ("rejected", "reject_edit") and not (data.get("note") or "").strip():
            raise forms.ValidationError("Say why: the creator reads the note.")
        if decision in ("approve_edit", "reject_edit") and not staging.has_staged(self.instance):
            raise forms.ValidationError("No edit is waiting on this video.")
        return data


@admin.register(VideoReview)
class VideoReviewAdmin(admin.ModelAdmin):
    form = VideoDecisionForm
    action_form = NoteActionForm
    list_display = (
        "title", "creator", "moderation", "edit_waiting", "score_chips", "appealed", "hidden", "open_reports",
        "created_at",
    )  # fmt: skip
    list_filter = (QueueFilter, "moderation", AppealedFilter, CategoryFilter, ScoreFilter, "hidden", "processing")
    search_fields = ("title", "description", "public_id", "creator__username")
    list_select_related = ("creator",)
    ordering = ("-appealed_at", "-created_at")
    actions = [
        "approve_selected",
        "reject_selected",
        "rerun_selected",
        "suspend_creators",
        "ban_creators",
        "reinstate_creators",
    ]
    readonly_fields = (
        "limitations",
        "player",
        "state",
        "appeal",
        "staged_edit",
        "scores_table",
        "evidence_frames",
        "text_evidence",
        "transcript_excerpt",
        "reports_list",
        "history",
    )
    fieldsets = (
        (None, {"fields": ("limitations", "player", "state", "appeal", "staged_edit")}),
        ("Decide", {"fields": ("decision", "note")}),
        (
            "Automatic moderation",
            {"fields": ("scores_table", "evidence_frames", "text_evidence", "transcript_excerpt")},
        ),
        ("Reports and history", {"fields": ("reports_list", "history")}),
    )

    def get_queryset(self, request):
        ct = ContentType.objects.get_for_model(Video)
        open_reports = (
            Report.objects.filter(content_type=ct, object_id=OuterRef("pk"), status=Report.Status.OPEN)
            .values("object_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super().get_queryset(request).filter(deleted_at__isnull=True).annotate(_open_reports=Subquery(open_reports))
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- list columns -----------------------------------------------------------------------
    @admin.display(description="scores (≥ 0.3)")
    def score_chips(self, obj):
        decision = _latest_screen(obj)
        return _chips(decision.scores if decision else {}, minimum=0.3)

    @admin.display(boolean=True, description="edit waiting")
    def edit_waiting(self, obj):
        return obj.staged_at is not None

    @admin.display(description="Waiting edit")
    def staged_edit(self, obj):
        if obj.staged_at is None:
            return "—"
        return format_html(
            "<p>Viewers see the live text until the edit is approved.</p>"
            "<table><tr><th></th><th>live</th><th>edit ({})</th></tr>"
            '<tr><th>title</th><td>{}</td><td id="staged-title">{}</td></tr>'
            '<tr><th>description</th><td style="white-space:pre-wrap">{}</td>'
            '<td style="white-space:pre-wrap">{}</td></tr></table>',
            obj.staged_at.strftime("%Y-%m-%d %H:%M"),
            obj.title,
            obj.staged_title,
            obj.description,
            obj.staged_description,
        )

    @admin.display(boolean=True)
    def appealed(self, obj):
        return obj.appealed_at is not None

    @admin.display(description="open reports")
    def open_reports(self, obj):
        return obj._open_reports or 0

    # --- detail -----------------------------------------------------------------------------
    @admin.display(description="What the automatic check cannot see")
    def limitations(self, obj):
        return VISUAL_LIMITATION

    @admin.display(description="Video")
    def player(self, obj):
        if obj.processing != Video.Processing.READY:
            return f"Not playable: processing is {obj.processing}."
        src = reverse("videos:media", args=[obj.public_id, "720p"])
        track = ""
        if obj.captions_vtt.strip():
            track = format_html(
                '<track kind="captions" srclang="en" label="Captions" src="{}" default>',
                reverse("videos:captions", args=[obj.public_id]),
            )
        return format_html(
            '<video controls preload="metadata" style="max-width:360px;max-height:480px;background:#000" src="{}">'
            "{}</video>",
            src,
            track,
        )

    @admin.display(description="State")
    def state(self, obj):
        return format_html(
            "<b>{}</b> — {}<br>creator: {} (strikes {}{})",
            obj.moderation,
            obj.moderation_reason or "no reason recorded",
            obj.creator.username,
            obj.creator.strikes,
            ", banned" if obj.creator.banned_at else "",
        )

    @admin.display(description="Appeal")
    def appeal(self, obj):
        if obj.appealed_at is None:
            return "—"
        return format_html("{}: “{}”", obj.appealed_at.strftime("%Y-%m-%d %H:%M"), obj.appeal_reason)

    @admin.display(description="Scores by stage")
    def scores_table(self, obj):
        decision = _latest_screen(obj)
        if decision is None:
            return "No automatic decision yet."
        rows = []
        for name, stage in decision.stages.items():
            if not isinstance(stage, dict):
                continue
            cells = format_html_join("", "<td>{}</td>", ((f"{stage.get('scores', {}).get(c, 0):.2f}"
                                                            if c in stage.get("scores", {}) else "·",)
                                                           for c in CATEGORIES))  # fmt: skip
            status = stage.get("status", "")
            extra = stage.get("error") or stage.get("note") or ""
            rows.append(
                format_html(
                    "<tr><th>{}</th><td>{}</td>{}<td>{}s</td><td>{}</td></tr>",
                    name,
                    status,
                    cells,
                    stage.get("seconds", ""),
                    extra,
                )
            )
        scores = decision.scores
        combined = format_html_join("", "<td><b>{}</b></td>", ((f"{scores.get(c, 0):.2f}",) for c in CATEGORIES))
        thresholds = format_html_join(
            "",
            "<td>{}</td>",
            (
                (f"{t.get('review', '')}/{t.get('reject', '')}",)
                for t in (decision.thresholds.get(c, {}) for c in CATEGORIES)
            ),
        )
        head = format_html_join("", "<th>{}</th>", ((c,) for c in CATEGORIES))
        return format_html(
            '<table class="moderation-scores"><tr><th>stage</th><th>status</th>{}<th>time</th><th>note</th></tr>'
            "{}<tr><th>combined</th><td></td>{}</tr><tr><th>review/reject at</th><td></td>{}</tr></table>"
            "<p>Models: {}</p>",
            head,
            format_html_join("", "{}", ((r,) for r in rows)),
            combined,
            thresholds,
            ", ".join(f"{k} {v}" for k, v in decision.model_versions.items()) or "—",
        )

    @admin.display(description="Evidence frames")
    def evidence_frames(self, obj):
        decision = _latest_screen(obj)
        frames = (decision.evidence or {}).get("frames", []) if decision else []
        if not frames:
            return "—"
        return format_html_join(
            " ",
            '<figure style="display:inline-block;margin:2px"><img src="{}" alt="frame at {}s" width="160">'
            "<figcaption>{}s · NSFW {}</figcaption></figure>",
            (
                (reverse("moderation:evidence_frame", args=[obj.public_id, f["thumb"]]), f["t"], f["t"], f["nsfw"])
                for f in frames
            ),
        )

    @admin.display(description="Words that scored")
    def text_evidence(self, obj):
        decision = _latest_screen(obj)
        evidence = (decision.evidence or {}) if decision else {}
        items = []
        for entry in evidence.get("text", []):
            items.append((entry["category"], f"{entry['field']}: “{entry['text'][:200]}”", ", ".join(entry["words"])))
        for entry in evidence.get("speech", []):
            items.append(
                (entry["category"], f"speech at {entry['start']}s: “{entry['text'][:200]}”", ", ".join(entry["words"]))
            )
        gemini = evidence.get("gemini")
        if gemini:
            stamps = ", ".join(str(t["t"]) for t in gemini["timestamps"])
            items.append(("Gemini", gemini.get("explanation", ""), stamps))
        if not items:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li><b>{}</b> {} <i>{}</i></li>", items))

    @admin.display(description="Transcript")
    def transcript_excerpt(self, obj):
        return (obj.transcript[:600] + ("…" if len(obj.transcript) > 600 else "")) or "—"

    @admin.display(description="Reports")
    def reports_list(self, obj):
        ct = ContentType.objects.get_for_model(Video)
        rows = Report.objects.filter(content_type=ct, object_id=obj.pk).select_related("reporter")
        if not rows:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} · {} · {} · {}</li>",
                (
                    (r.created_at.strftime("%Y-%m-%d %H:%M"), r.reporter.username, r.category, r.note or r.status)
                    for r in rows
                ),
            ),  # fmt: skip
        )

    @admin.display(description="Decision history")
    def history(self, obj):
        rows = decisions_for(item=obj)
        return format_html(
            '<table class="moderation-history"><tr><th>when</th><th>source</th><th>who</th><th>action</th>'
            "<th>outcome</th><th>reason</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        d.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                        d.source,
                        d.actor.username if d.actor else "—",
                        d.action or "—",
                        d.outcome,
                        d.reason,
                    )
                    for d in rows
                ),  # fmt: skip
            ),
        )

    # --- deciding ---------------------------------------------------------------------------
    def save_model(self, request, obj, form, change):
        """The form carries a decision, not field edits: route it through the services."""
        decision = form.cleaned_data.get("decision")
        note = (form.cleaned_data.get("note") or "").strip()
        if decision == "rerun":
            video_moderation_enqueue(video=obj)
            self.message_user(request, "Automatic moderation queued again.")
        elif decision in ("approve_edit", "reject_edit"):
            outcome = "approved" if decision == "approve_edit" else "rejected"
            decisions.staged_decide(item=obj, outcome=outcome, actor=request.user, note=note)
            self.message_user(request, f"The edit was {outcome}.")
        elif decision:
            decisions.video_decide(
                video=obj, outcome=decision, actor=request.user, note=note or f"Moderator: {decision}."
            )

    def save_related(self, request, form, formsets, change):
        pass

    def _bulk(self, request, queryset, outcome):
        note = (request.POST.get("note") or "").strip()
        if outcome == "rejected" and not note:
            self.message_user(request, "Write a note for a bulk rejection: the creators read it.", messages.ERROR)
            return
        for video in queryset:
            decisions.video_decide(
                video=video, outcome=outcome, actor=request.user, note=note or f"Moderator: {outcome}."
            )
        self.message_user(request, f"{queryset.count()} video(s) {outcome}.")

    @admin.action(description="Approve selected videos (with the note)", permissions=["change"])
    def approve_selected(self, request, queryset):
        self._bulk(request, queryset, "approved")

    @admin.action(description="Reject selected videos (with the note)", permissions=["change"])
    def reject_selected(self, request, queryset):
        self._bulk(request, queryset, "rejected")

    @admin.action(description="Re-run automatic moderation", permissions=["change"])
    def rerun_selected(self, request, queryset):
        for video in queryset.filter(processing=Video.Processing.READY):
            video_moderation_enqueue(video=video)
        self.message_user(request, "Automatic moderation queued again.")

    def _sanction_creators(self, request, queryset, action: str, apply) -> bool:
        """Check every selected video's creator first (sanctions.check_may_sanction, the same
        check the services make), then apply `apply(creator)` to all of them in one transaction;
        one refusal shows its reason and changes nothing."""
        creators = sorted({v.creator for v in queryset.select_related("creator")}, key=lambda user: user.pk)
        if action == "reinstate":
            creators = [c for c in creators if c.banned_at or c.suspended_until]
        try:
            for creator in creators:
                sanctions.check_may_sanction(actor=request.user, target=creator, action=action)
            with transaction.atomic():
                for creator in creators:
                    apply(creator)
        except Refused as refused:
            self.message_user(request, f"Nothing was changed. {refused.message}", messages.ERROR)
            return False
        return True

    @admin.action(description="Suspend the creators (days from settings, with the note)", permissions=["change"])
    def suspend_creators(self, request, queryset):
        note = (request.POST.get("note") or "").strip() or "Suspended by a moderator."

        def suspend(creator):
            sanctions.user_suspend(user=creator, actor=request.user, days=settings.SUSPENSION_DAYS, reason=note)

        if self._sanction_creators(request, queryset, "suspend", suspend):
            self.message_user(request, "Creators suspended.")

    @admin.action(description="Ban the creators (with the note)", permissions=["change"])
    def ban_creators(self, request, queryset):
        note = (request.POST.get("note") or "").strip()
        if not note:
            self.message_user(request, "Write a note for a ban.", messages.ERROR)
            return

        def ban(creator):
            sanctions.user_ban(user=creator, actor=request.user, reason=note)

        if self._sanction_creators(request, queryset, "ban", ban):
            self.message_user(request, "Creators banned.")

    @admin.action(description="Lift suspensions and bans of the creators (with the note)", permissions=["change"])
    def reinstate_creators(self, request, queryset):
        note = (request.POST.get("note") or "").strip() or "Reinstated by a moderator."

        def reinstate(creator):
            sanctions.user_reinstate(user=creator, actor=request.user, reason=note)

        if self._sanction_creators(request, queryset, "reinstate", reinstate):
            self.message_user(request, "Creators reinstated.")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Reports by viewers; upholding or dismissing closes every open report on the same item and
    tells the reporters."""

    action_form = NoteActionForm
    # `weight` is the reporter's standing when they reported (moderation.reports.reporter_weight);
    # `brigade` marks a burst of reports from new accounts, which hides nothing.
    list_display = ("created_at", "reporter", "item_link", "category", "note", "status", "weight_shown", "brigade")
    list_filter = ("status", "brigade", "category", "content_type")
    list_select_related = ("reporter", "content_type")
    actions = ["uphold", "dismiss"]
    readonly_fields = (
        "reporter", "content_type", "object_id", "category", "note", "status", "weight", "brigade", "created_at",
    )  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="weight", ordering="weight")
    def weight_shown(self, obj):
        return f"{obj.weight:.2f}"

    @admin.display(description="item")
    def item_link(self, obj):
        item = obj.item
        if item is None:
            return "(deleted)"
        return format_html('<a href="{}">{}</a>', moderation_reports.item_url(item), str(item)[:60])

    def _resolve(self, request, queryset, upheld: bool):
        note = (request.POST.get("note") or "").strip()
        done = set()
        for report in queryset.filter(status=Report.Status.OPEN):
            key = (report.content_type_id, report.object_id)
            if key in done or report.item is None:
                continue
            done.add(key)
            decisions.reported_item_decide(item=report.item, upheld=upheld, actor=request.user, note=note)
        self.message_user(request, f"{len(done)} item(s) {'upheld' if upheld else 'dismissed'}.")

    @admin.action(description="Uphold: act on the item (videos are rejected)", permissions=["change"])
    def uphold(self, request, queryset):
        self._resolve(request, queryset, True)

    @admin.action(description="Dismiss: the item stays (and is shown again)", permissions=["change"])
    def dismiss(self, request, queryset):
        self._resolve(request, queryset, False)


# The Videos admin (videos/admin.py) with the moderators' approve and reject actions, which go
# through the same decision service as the review queue.
class ModeratedVideoAdmin(VideoAdmin):
    action_form = NoteActionForm
    actions = [*VideoAdmin.actions, "approve", "reject"]

    def _decide(self, request, queryset, outcome):
        note = (request.POST.get("note") or "").strip()
        if not note:
            self.message_user(request, "Write a note: it is kept with the decision.", level=messages.ERROR)
            return
        count = 0
        for video in queryset.filter(deleted_at__isnull=True).select_related("creator"):
            decisions.video_decide(video=video, outcome=outcome, actor=request.user, note=note)
            count += 1
        self.message_user(request, f"{outcome.capitalize()}: {count} video(s).")

    @admin.action(description="Approve selected videos (with the note)", permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, Video.Moderation.APPROVED)

    @admin.action(description="Reject selected videos (with the note)", permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, Video.Moderation.REJECTED)


admin.site.unregister(Video)
admin.site.register(Video, ModeratedVideoAdmin)
