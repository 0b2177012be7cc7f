"""Who may open what: one row per URL pattern, for an anonymous visitor, a signed-in user, the
owner of the thing, a moderator and a superuser. A URL pattern without a row fails the suite.

A = allowed (2xx, or a redirect that is not to the log-in page); D = denied (a redirect to log
in, 401, 403, 404 or 405: never the resource). The subject is a PRIVATE video of the owner, so
"allowed" for anyone but the owner and moderators would be a leak. The moderator is staff in the
Moderators group; staff status alone opens nothing (see STAFF_BLIND below)."""

from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_q.models import Schedule

from accounts import privacy
from tests.factories import ready_video
from videos.models import Comment

pytestmark = pytest.mark.django_db
ROLES = ("anon", "user", "owner", "moderator", "superuser")


def row(method, args, anon, user, owner, moderator, superuser, data=None):
    return {
        "method": method,
        "args": args,
        "expect": dict(zip(ROLES, (anon, user, owner, moderator, superuser), strict=True)),
        "data": data or {},
    }


PV = lambda s: [s["private"].public_id]  # noqa: E731 - the private video's id
LV = lambda s: [s["public"].public_id]  # noqa: E731 - a listable video's id
OWNER = lambda s: [s["owner"].username]  # noqa: E731
NONE = lambda s: []  # noqa: E731

TABLE = {
    "accounts:signup": row("GET", NONE, *"AAAAA"),
    "accounts:signup_sent": row("GET", NONE, *"AAAAA"),
    "accounts:signup_confirm": row("GET", lambda s: ["not-a-real-token"], *"AAAAA"),
    "accounts:login": row("GET", NONE, *"AAAAA"),
    "accounts:logout": row("POST", NONE, *"AAAAA"),
    "accounts:profile_edit": row("GET", NONE, *"DAAAA"),
    "accounts:data": row("GET", NONE, *"DAAAA"),
    "accounts:data_download": row("GET", lambda s: [s["export"].token], *"DDADD"),  # only the owner's own zip
    "accounts:delete": row("GET", NONE, *"DAAAA"),
    "accounts:password_change": row("GET", NONE, *"DAAAA"),
    "accounts:password_change_done": row("GET", NONE, *"DAAAA"),
    "accounts:password_reset": row("GET", NONE, *"AAAAA"),
    "accounts:password_reset_done": row("GET", NONE, *"AAAAA"),
    "accounts:password_reset_confirm": row("GET", lambda s: ["MQ", "bad-token"], *"AAAAA"),
    "accounts:password_reset_complete": row("GET", NONE, *"AAAAA"),
    "moderation:report": row("GET", lambda s: ["video", s["private"].public_id], *"DDAAA"),
    "moderation:appeal": row("GET", PV, *"DDADD"),
    "moderation:evidence_frame": row("GET", lambda s: [s["private"].public_id, "frame-0001.jpg"], *"DDDAA"),
    "recommendations:interests": row("GET", NONE, *"DAAAA"),
    "healthz": row("GET", NONE, *"AAAAA"),
    "recommendations:feed": row("GET", NONE, *"AAAAA"),
    "recommendations:feed_more": row("GET", NONE, *"AAAAA"),
    "recommendations:discover": row("GET", NONE, *"AAAAA"),
    "videos:following": row("GET", NONE, *"AAAAA"),  # anonymous viewers get a sign-in prompt
    "videos:history": row("GET", NONE, *"DAAAA"),
    "videos:search": row("GET", NONE, *"AAAAA"),
    "videos:category": row("GET", lambda s: ["music"], *"AAAAA"),
    "videos:hashtag": row("GET", lambda s: ["sunset"], *"AAAAA"),
    "videos:notifications": row("GET", NONE, *"DAAAA"),
    "videos:notification_badge": row("GET", NONE, *"DAAAA"),
    "videos:profile": row("GET", OWNER, *"AAAAA"),
    "videos:watch": row("GET", PV, *"DDAAA"),
    # Signed out: only with the viewer token a page view sets (tests/videos/test_view_tokens.py).
    "videos:event": row("POST", NONE, *"DAAAA", data={"kind": "impression", "video": "__public__"}),
    "videos:follow": row("POST", OWNER, *"DADAA"),
    "videos:block": row("POST", OWNER, *"DADAA"),
    "videos:like": row("POST", PV, *"DDAAA"),
    "videos:favourite": row("POST", PV, *"DDAAA"),
    "videos:share": row("POST", PV, *"DDAAA"),
    "videos:not_interested": row("POST", PV, *"DDAAA"),
    "videos:comments": row("GET", PV, *"DDAAA"),
    "videos:comment_replies": row("GET", lambda s: [s["private"].public_id, s["comment"].pk], *"DDAAA"),
    # Moderators remove others' comments in the admin's comment queue, as a recorded decision.
    "videos:comment_delete": row("POST", lambda s: [s["comment"].pk], *"DDADD"),
    "videos:upload": row("GET", NONE, *"DAAAA"),
    "videos:status": row("GET", PV, *"DDAAA"),
    "videos:edit": row("GET", PV, *"DDADD"),
    "videos:delete": row("POST", PV, *"DDADD"),
    "videos:media": row("GET", lambda s: [s["private"].public_id, "720p"], *"DDAAA"),
    "videos:poster": row("GET", PV, *"DDAAA"),
    "videos:poster_tile": row("GET", PV, *"DDAAA"),
    "videos:captions": row("GET", PV, *"DDAAA"),
    "captions_edit": row("GET", PV, *"DDADD"),
    "videos:avatar": row("GET", lambda s: [Path(s["owner"].avatar.name).name], *"AAAAA"),
}


def url_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            yield from url_names(entry, namespace + (f"{entry.namespace}:" if entry.namespace else ""))
        elif isinstance(entry, URLPattern):
            yield namespace + (entry.name or str(entry.pattern))


def test_every_url_pattern_has_a_row():
    names = set(url_names())
    assert sorted(names - set(TABLE)) == [], "add a row to TABLE for each new URL pattern"
    assert sorted(set(TABLE) - names) == []


@pytest.fixture
def subjects(make_user, settings):
    owner = make_user("olivia")
    owner.avatar.save("olivia.jpg", ContentFile(b"\xff\xd8\xff\xe0 jpeg"), save=True)
    other = make_user("uma")
    moderator = make_user("mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    root = make_user("root", is_staff=True, is_superuser=True)
    private = ready_video(owner, title="Only mine", visibility="private", captions_vtt="WEBVTT\n")
    public = ready_video(make_user("third"), title="For everyone", hashtags=["sunset"])
    comment = Comment.objects.create(video=private, author=owner, text="note to self", state="published")
    frames = Path(settings.MEDIA_ROOT) / "moderation" / private.public_id
    frames.mkdir(parents=True)
    (frames / "frame-0001.jpg").write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    export = privacy.data_export_request(user=owner)
    privacy.data_export_build(export_id=export.pk)  # what the queued job does
    return {
        "owner": owner,
        "user": other,
        "moderator": moderator,
        "superuser": root,
        "private": private,
        "public": public,
        "comment": comment,
        "export": export,
    }


def outcome(response) -> str:
    if response.status_code in (401, 403, 404, 405):
        return "D"
    if response.status_code in (301, 302):
        return "D" if "/login/" in response.headers.get("Location", "") else "A"
    assert response.status_code < 500, f"server error {response.status_code}"
    return "A" if response.status_code < 400 else "D"


@pytest.mark.parametrize("name", sorted(TABLE))
@pytest.mark.parametrize("role", ROLES)
def test_the_table_holds(name, role, subjects):
    spec = TABLE[name]
    client = Client()
    if role != "anon":
        client.force_login(subjects[role])
    data = {k: (subjects["public"].public_id if v == "__public__" else v) for k, v in spec["data"].items()}
    url = reverse(name, args=spec["args"](subjects))
    response = client.get(url) if spec["method"] == "GET" else client.post(url, data)
    assert outcome(response) == spec["expect"][role], f"{role} {spec['method']} {url} -> {response.status_code}"


# Views the apps mount on the admin site (admin.site.register_view), which the URL walk above
# skips with the rest of the admin: the same roles and letters.
ADMIN_VIEWS = {
    "admin:dashboard": row("GET", NONE, *"DDDAA"),
    "admin:reported_items": row("GET", NONE, *"DDDAA"),
}


def test_every_mounted_admin_view_has_a_row():
    assert sorted(f"admin:{name}" for name in admin.site.extra_views) == sorted(ADMIN_VIEWS)


@pytest.mark.parametrize("name", sorted(ADMIN_VIEWS))
@pytest.mark.parametrize("role", ROLES)
def test_the_admin_views_table_holds(name, role, subjects):
    spec = ADMIN_VIEWS[name]
    client = Client()
    if role != "anon":
        client.force_login(subjects[role])
    url = reverse(name, args=spec["args"](subjects))
    response = client.get(url)
    assert outcome(response) == spec["expect"][role], f"{role} GET {url} -> {response.status_code}"


# Staff status alone opens no private video: on these rows a staff account without permissions
# gets what a signed-in stranger gets, and so does a moderator under STAFF_2FA whose session has
# no verified second factor (videos.selectors.staff_may_view_hidden).
STAFF_BLIND = [
    "videos:watch",
    "videos:like",
    "videos:favourite",
    "videos:share",
    "videos:not_interested",
    "videos:comments",
    "videos:comment_replies",
    "videos:comment_delete",
    "videos:media",
    "videos:poster",
    "videos:poster_tile",
    "videos:captions",
    "moderation:report",
]


@pytest.mark.parametrize("name", STAFF_BLIND)
@pytest.mark.parametrize("who", ["staff without permissions", "moderator without a second factor"])
def test_staff_status_alone_opens_no_private_video(name, who, subjects, make_user, settings):
    if who == "staff without permissions":
        account = make_user("intern", is_staff=True)
    else:
        settings.STAFF_2FA = True
        account = subjects["moderator"]
    spec = TABLE[name]
    client = Client()
    client.force_login(account)
    url = reverse(name, args=spec["args"](subjects))
    response = client.get(url) if spec["method"] == "GET" else client.post(url, spec["data"])
    assert outcome(response) == spec["expect"]["user"], f"{who} {spec['method']} {url} -> {response.status_code}"


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_opens_only_for_staff_and_each_page_follows_permissions(role, subjects):
    client = Client()
    if role != "anon":
        client.force_login(subjects[role])
    index = client.get("/admin/")
    assert outcome(index) == ("A" if role in ("moderator", "superuser") else "D")
    if role not in ("moderator", "superuser"):
        return
    user = subjects[role]
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = client.get(url)
        may_view = model_admin.has_view_or_change_permission(type("R", (), {"user": user})())
        assert outcome(response) == ("A" if may_view else "D"), f"{role} {url} -> {response.status_code}"


# --- The task schedules (django-q2's Schedule admin) can run code: superusers only, and only
# the platform's own task functions.


def schedule_form(**changes):
    now = timezone.localtime()
    data = {
        "name": "a job",
        "func": "tiktok.tasks.cleanup_media",
        "hook": "",
        "args": "",
        "kwargs": "",
        "schedule_type": Schedule.DAILY,
        "minutes": "",
        "repeats": "-1",
        "next_run_0": now.strftime("%Y-%m-%d"),
        "next_run_1": now.strftime("%H:%M:%S"),
        "cron": "",
        "task": "",
        "cluster": "",
        "intended_date_kwarg": "",
    }
    return {**data, **changes}


@pytest.fixture
def operator(make_user):
    """Staff with every django-q permission granted, but not a superuser."""
    user = make_user("operator", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="django_q"))
    return user


def test_staff_who_are_not_superusers_cannot_see_add_or_change_schedules(client, operator):
    schedule = Schedule.objects.create(name="existing", func="tiktok.tasks.cleanup_media", schedule_type="D")
    client.force_login(operator)
    assert client.get("/admin/django_q/schedule/").status_code == 403
    assert client.get("/admin/django_q/schedule/add/").status_code == 403
    assert client.post("/admin/django_q/schedule/add/", schedule_form(func="os.system")).status_code == 403
    change = f"/admin/django_q/schedule/{schedule.pk}/change/"
    assert client.post(change, schedule_form(func="tiktok.tasks.roll_up_events")).status_code == 403
    schedule.refresh_from_db()
    assert schedule.func == "tiktok.tasks.cleanup_media"
    assert Schedule.objects.count() == 1


def test_a_superuser_adds_a_schedule_for_a_platform_task(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    response = client.post("/admin/django_q/schedule/add/", schedule_form(func="videos.tasks.sweep_stuck_work"))
    assert response.status_code == 302
    assert Schedule.objects.get(name="a job").func == "videos.tasks.sweep_stuck_work"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("func", "os.system"),
        ("func", "subprocess.run"),
        ("func", "tiktok.tasks.call_command"),  # imported into a task module, not a task
        ("func", "videos.tasks"),
        ("func", "accounts.services.account_ban"),
        ("hook", "os.system"),
        ("kwargs", "hook='os.system'"),
        ("kwargs", "{'q_options': {'hook': 'os.system'}}"),
    ],
)
def test_a_schedule_that_would_run_anything_but_a_platform_task_is_refused(client, make_user, field, value):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    response = client.post("/admin/django_q/schedule/add/", schedule_form(**{field: value}))
    assert response.status_code == 200
    assert "not one of the platform" in response.content.decode() or "task options" in response.content.decode()
    assert not Schedule.objects.exists()
