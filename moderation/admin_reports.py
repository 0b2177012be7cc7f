"""The report queue in the admin, one row per reported item: how many reports, the reasons, the
reporters and their weight, and one decision for the item (uphold or dismiss with a note) through
`decisions.reported_item_decide`. The per-report log stays in the Reports admin."""

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from moderation import decisions, queues
from moderation import reports as moderation_reports
from moderation.models import CATEGORY_NAMES, Report
from tiktok.errors import Refused

VERDICTS = {"uphold": True, "dismiss": False}
NOTE_MAX = 500


def _refuse(message: str):
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _decide(request):
    if not request.user.has_perm("moderation.change_report"):
        raise PermissionDenied
    verdict = request.POST.get("verdict", "")
    note = (request.POST.get("note") or "").strip()
    try:
        ct_id, object_id = int(request.POST.get("content_type", "")), int(request.POST.get("object_id", ""))
    except ValueError:
        return _refuse("Choose a reported item.")
    if not (0 < ct_id < 2**31 and 0 < object_id < 2**63):
        return _refuse("Choose a reported item.")
    if verdict not in VERDICTS:
        return _refuse("Choose uphold or dismiss.")
    if len(note) > NOTE_MAX:
        return _refuse(f"The note is too long: {NOTE_MAX} characters at most.")
    open_reports = Report.objects.filter(content_type_id=ct_id, object_id=object_id, status=Report.Status.OPEN)
    if not open_reports.exists():
        return _refuse("No open report on that item: it was decided already.")
    model = ContentType.objects.get_for_id(ct_id).model_class()
    item = model.objects.filter(pk=object_id).first() if model is not None else None
    if item is None:
        return _refuse("The reported item no longer exists.")
    try:
        decisions.reported_item_decide(item=item, upheld=VERDICTS[verdict], actor=request.user, note=note)
    except Refused as refused:
        return _refuse(refused.message)
    messages.success(request, f"{'Upheld' if VERDICTS[verdict] else 'Dismissed'}: {str(item)[:60]}.")
    return HttpResponseRedirect(reverse("admin:reported_items"))


@require_http_methods(["GET", "POST"])
def reported_items_view(request, admin_site):
    if not request.user.has_perm("moderation.view_report"):
        raise PermissionDenied
    if request.method == "POST":
        return _decide(request)
    rows = queues.reported_items()
    for row in rows:
        row["url"] = moderation_reports.item_url(row["item"])
        row["reasons"] = [(code, CATEGORY_NAMES.get(code, code), n) for code, n in row["reasons"]]
    context = {
        **admin_site.each_context(request),
        "title": "Reported items",
        "rows": rows,
        "may_decide": request.user.has_perm("moderation.change_report"),
        "note_max": NOTE_MAX,
    }
    return TemplateResponse(request, "admin/reported_items.html", context)
