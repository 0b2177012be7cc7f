"""Property-based hostile input: forms, HTMX endpoints and the Range header never answer 500.

Seeded (derandomized) and capped per endpoint, so CI time stays bounded."""

import ipaddress
import struct
import zlib
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from accounts.services import avatar_process
from moderation import sanctions
from moderation.models import Report
from tests.factories import ready_video
from tiktok import ratelimit, viewer_tokens
from tiktok.errors import Refused
from videos.models import Video
from videos.selectors import video_for_viewer
from videos.views_media import parse_range

pytestmark = pytest.mark.django_db

CAPPED = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
nasty_text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\u200b\u200b",
            "<script>alert(1)</script>",
            "../../etc/passwd",
            "%00",
            "a" * 5000,
            "😀" * 50,
            "' OR 1=1 --",
            "{{ 7*7 }}",
            "\r\nSet-Cookie: x=1",
        ]
    ),
)


@CAPPED
@given(header=st.one_of(st.text(max_size=40), st.from_regex(r"bytes=\d{0,12}-\d{0,12}(,\d{0,3}-\d{0,3})?")))
def test_parse_range_never_returns_an_out_of_file_span(header):
    size = 1000
    result = parse_range(header, size)
    if isinstance(result, tuple):
        start, end = result
        assert 0 <= start <= end < size


@CAPPED
@given(username=nasty_text, email=nasty_text, password=nasty_text, display=nasty_text, age=st.booleans())
def test_signup_never_fails_with_a_server_error(client, username, email, password, display, age):
    data = {"username": username, "email": email, "password1": password, "password2": password, "display_name": display}
    if age:
        data["age_confirmed"] = "on"
    response = client.post("/accounts/signup/", data)
    assert response.status_code < 500
    client.logout()


@CAPPED
@given(username=nasty_text, password=nasty_text, next_url=nasty_text)
def test_login_never_fails_with_a_server_error(client, username, password, next_url):
    response = client.post(f"/accounts/login/?next={next_url}", {"username": username, "password": password})
    assert response.status_code < 500
    location = response.headers.get("Location", "")
    assert "://" not in location or location.startswith("http://testserver")


@CAPPED
@given(username=nasty_text, password=nasty_text, otp=nasty_text)
def test_the_admin_login_never_fails_with_a_server_error(client, username, password, otp):
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": password, "otp_token": otp})
    assert response.status_code < 500
    assert "_auth_user_id" not in client.session


_addresses = st.one_of(st.ip_addresses().map(str), nasty_text)


@CAPPED
@given(remote=_addresses, claimed=_addresses)
def test_the_counted_address_comes_from_a_header_only_when_a_trusted_proxy_sent_it(remote, claimed):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_REAL_IP=claimed)
    with override_settings(TRUSTED_PROXY_HEADER="X-Real-IP", TRUSTED_PROXIES=["10.0.0.0/8", "::1"]):
        counted = ratelimit.client_ip(request)
        key = ratelimit.client_key(request)

    def address(text):
        try:
            return ipaddress.ip_address(text)
        except ValueError:
            return None

    sender = address(remote)
    if sender is not None and sender.version == 6 and sender.ipv4_mapped is not None:
        sender = sender.ipv4_mapped  # ::ffff:10.1.2.3 is the IPv4 peer 10.1.2.3
    trusted = sender is not None and (sender in ipaddress.ip_network("10.0.0.0/8") or str(sender) == "::1")
    if trusted and address(claimed.strip()) is not None:
        assert counted == str(address(claimed.strip()))
    else:
        assert counted == remote
    assert "\n" not in key and len(key) <= 64
    if address(counted) is not None and address(counted).version == 6 and address(counted).ipv4_mapped is None:
        assert key == str(ipaddress.ip_network(f"{counted}/64", strict=False))


@CAPPED
@given(display=nasty_text, bio=nasty_text, filename=nasty_text, body=st.binary(max_size=2048))
def test_profile_edit_never_fails_with_a_server_error(client, make_user, display, bio, filename, body):
    user = make_user()
    client.force_login(user)
    upload = SimpleUploadedFile((filename or "x")[:100].replace("\x00", "") or "x", body)
    response = client.post("/accounts/profile/", {"display_name": display, "bio": bio, "avatar": upload})
    assert response.status_code < 500
    user.refresh_from_db()
    if user.avatar:
        assert ".." not in user.avatar.name and user.avatar.name.startswith("avatars/")


@CAPPED
@given(header=st.text(max_size=60), name=nasty_text)
def test_media_urls_never_fail_with_a_server_error(client, header, name):
    pid = name[:40]
    for url in (
        f"/v/{pid}/media/720p.mp4",
        f"/v/{pid}/poster.jpg",
        f"/v/{pid}/poster-tile.webp",
        f"/media/avatars/{name[:60]}",
    ):
        try:
            response = client.get(url, HTTP_RANGE=header)
        except ValueError:  # the test client refuses some characters in a URL before sending
            continue
        assert response.status_code < 500


def test_oversized_headers_and_bodies_are_refused_cleanly(client):
    response = client.post(
        "/accounts/login/", data="x" * (3 * 1024 * 1024), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500
    response = client.get("/", HTTP_X_LONG="y" * 100_000)
    assert response.status_code < 500


@pytest.fixture
def viewer_and_video(make_user):
    viewer = make_user("hostile")
    video = ready_video(make_user("creator"), title="target", media=False)
    return viewer, video


@CAPPED
@given(text=nasty_text, parent=st.one_of(st.none(), st.text(max_size=12), st.integers(-5, 10**12).map(str)))
def test_posting_comments_never_fails_with_a_server_error(client, viewer_and_video, text, parent):
    viewer, video = viewer_and_video
    client.force_login(viewer)
    data = {"text": text} if parent is None else {"text": text, "parent": parent}
    response = client.post(f"/v/{video.public_id}/comments/", data, HTTP_HX_REQUEST="true")
    assert response.status_code < 500
    if "<script>" in text and response.status_code < 300:
        assert "<script>alert(1)</script>" not in response.content.decode()


@CAPPED
@given(
    after=st.one_of(nasty_text, st.integers(-(10**30), 10**30).map(str)),
    thread=st.one_of(st.just("real"), st.integers(0, 2**70)),
    htmx=st.booleans(),
)
def test_reply_pages_never_fail_with_a_server_error(client, viewer_and_video, after, thread, htmx):
    viewer, video = viewer_and_video
    client.force_login(viewer)
    top = video.comments.filter(parent=None).first() or video.comments.create(
        author=viewer, text="a thread", state="published"
    )
    pk = top.pk if thread == "real" else thread
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    try:
        response = client.get(f"/v/{video.public_id}/comments/{pk}/replies/", {"after": after}, **headers)
    except ValueError:  # the test client refuses some characters in a URL before sending
        return
    assert response.status_code in (200, 400, 404)
    if response.status_code == 400:
        assert response.content.decode() == "after must be a reply id."


@CAPPED
@given(
    kind=st.one_of(st.sampled_from(["impression", "play", "watch", "skip", "replay", "like"]), st.text(max_size=12)),
    seconds=st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str), st.text(max_size=8)),
    completion=st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str), st.text(max_size=8)),
    slot=st.text(max_size=12),
    video_id=nasty_text,
)
def test_engagement_events_never_fail_with_a_server_error(
    client, viewer_and_video, kind, seconds, completion, slot, video_id
):
    viewer, video = viewer_and_video
    client.force_login(viewer)
    target = video.public_id if kind in ("impression", "watch") else video_id
    data = {"video": target, "kind": kind, "watch_seconds": seconds, "completion": completion, "slot": slot}
    response = client.post("/events/", data)
    assert response.status_code < 500


def _malformed_payload(payload) -> bool:
    """A payload the viewer token's reader must turn away even under the real key and salt."""
    if not isinstance(payload, dict):
        return True
    viewer, issued = payload.get("v"), payload.get("t")
    return not (isinstance(viewer, str) and 16 <= len(viewer) <= 64 and isinstance(issued, int))


forged_viewer_tokens = st.one_of(
    nasty_text,
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:", max_size=120),
    # Well-formed tokens signed with another key.
    st.fixed_dictionaries({"v": st.text(min_size=16, max_size=64), "t": st.integers(0, 2**40)}).map(
        lambda p: signing.dumps(p, key="not-this-sites-key", salt=viewer_tokens.SALT)
    ),
    # This site's key and salt, but a payload that is not a viewer id and an issue time.
    st.one_of(
        st.none(),
        st.integers(),
        st.text(max_size=40),
        st.dictionaries(st.sampled_from(["v", "t", "x"]), st.one_of(st.none(), st.integers(), st.text(max_size=80))),
    )
    .filter(_malformed_payload)
    .map(lambda p: signing.dumps(p, salt=viewer_tokens.SALT)),
)


@CAPPED
@given(token=forged_viewer_tokens, kind=st.sampled_from(["impression", "play"]))
def test_a_signed_out_event_with_a_forged_viewer_token_is_refused_cleanly(client, viewer_and_video, token, kind):
    _, video = viewer_and_video
    # The header as a WSGI server hands it over: its bytes (UTF-8 here) read as Latin-1.
    cookie = f"{viewer_tokens.COOKIE_NAME}={token}".encode().decode("latin-1")
    response = client.post("/events/", {"video": video.public_id, "kind": kind}, HTTP_COOKIE=cookie)
    assert response.status_code == 403
    video.refresh_from_db()
    assert (video.impression_count, video.play_count, video.view_count) == (0, 0, 0)
    assert Session.objects.count() == 0


@CAPPED
@given(query=nasty_text, sort=nasty_text, page=nasty_text, seen=nasty_text)
def test_search_discovery_and_feed_pages_never_fail_with_a_server_error(
    client, viewer_and_video, query, sort, page, seen
):
    viewer, _ = viewer_and_video
    client.force_login(viewer)
    for url, params in (
        ("/search/", {"q": query, "page": page}),
        ("/c/music/", {"sort": sort, "page": page}),
        ("/feed/more/", {"seen": seen, "again": sort}),
        ("/discover/", {"q": query, "page": page}),
        (f"/tag/{(query or 'x')[:40].replace('/', '')}/", {"sort": sort}),
    ):
        try:
            response = client.get(url, params, HTTP_HX_REQUEST="true")
        except ValueError:  # the test client refuses some characters in a URL before sending
            continue
        assert response.status_code < 500


@CAPPED
@given(category=nasty_text, note=nasty_text, kind=st.sampled_from(["video", "comment", "profile", "x"]), key=nasty_text)
def test_reports_never_fail_with_a_server_error(client, viewer_and_video, category, note, kind, key):
    viewer, video = viewer_and_video
    client.force_login(viewer)
    target = video.public_id if kind == "video" else (key[:40].replace("/", "") or "x")
    try:
        response = client.post(f"/moderation/report/{kind}/{target}/", {"category": category, "note": note})
    except ValueError:
        return
    assert response.status_code < 500


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height and whose pixel data is empty."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


@CAPPED
@given(width=st.integers(1, 2**31 - 1), height=st.integers(1, 2**31 - 1))
def test_avatar_dimensions_above_the_cap_are_refused_from_the_header(width, height):
    """Any claimed size: one line, naming the pixel limit above AVATAR_MAX_PIXELS, and no pixel
    buffer is ever allocated for it (at the top of the range that would be exabytes)."""
    upload = SimpleUploadedFile("claimed.png", _png_header_only(width, height), content_type="image/png")
    with pytest.raises(ValidationError) as caught:
        avatar_process(upload=upload)  # no pixel data: even a small one cannot be decoded
    (message,) = caught.value.messages
    assert "\n" not in message
    limit = f"the limit is {django_settings.AVATAR_MAX_PIXELS:,} pixels"
    assert (limit in message) == (width * height > django_settings.AVATAR_MAX_PIXELS), message


_range_position = st.one_of(
    st.text("0123456789", max_size=8),
    st.text("0123456789", min_size=4300, max_size=6000),  # past what int() will parse
    st.integers(1, 6000).map(lambda n: "0" * n + "7"),
)


@pytest.fixture
def served_clip(make_user):
    video = ready_video(make_user("ranged"))
    path = django_settings.MEDIA_ROOT / "videos" / video.public_id / "720p.mp4"
    return f"/v/{video.public_id}/media/720p.mp4", path


@CAPPED
@given(first=_range_position, last=_range_position)
def test_range_positions_of_any_length_never_fail_with_a_server_error(client, served_clip, first, last):
    url, path = served_clip
    size = path.stat().st_size

    def value(digits):  # the oracle: a position of more than 12 digits is past any test file
        digits = digits.lstrip("0") or "0"
        return int(digits) if len(digits) <= 12 else 10**12

    response = client.get(url, HTTP_RANGE=f"bytes={first}-{last}")
    if first == "" and last == "":
        assert response.status_code == 200
    elif first == "":
        assert response.status_code == (416 if value(last) == 0 else 206)
    elif value(first) >= size:
        assert response.status_code == 416
        assert response["Content-Range"] == f"bytes */{size}"
    elif last != "" and value(last) < value(first):
        assert response.status_code == 200  # an invalid range is ignored
    else:
        end = size - 1 if last == "" else min(value(last), size - 1)
        assert response.status_code == 206
        assert response["Content-Range"] == f"bytes {value(first)}-{end}/{size}"


# --- Staff powers: whatever the video's state and whoever asks, a video that is not public opens
# only to its creator and to a moderator (staff with the review queue's permission, verified when
# STAFF_2FA is on); a sanction against staff comes only from a superuser, never against oneself.

ViewerKind = st.sampled_from(["anonymous", "stranger", "bare staff", "moderator", "superuser", "owner"])


@pytest.fixture
def people(make_user):
    moderator = make_user("prop_mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    owner = make_user("prop_owner")
    return {
        "anonymous": AnonymousUser(),
        "stranger": make_user("prop_stranger"),
        "bare staff": make_user("prop_staff", is_staff=True),
        "moderator": moderator,
        "superuser": make_user("prop_root", is_staff=True, is_superuser=True),
        "owner": owner,
        "video": ready_video(owner, media=False),
    }


@CAPPED
@given(
    state=st.fixed_dictionaries(
        {
            "visibility": st.sampled_from(["public", "unlisted", "private"]),
            "moderation": st.sampled_from(["pending", "approved", "review", "rejected"]),
            "processing": st.sampled_from(["transcoding", "ready", "failed"]),
            "hidden": st.booleans(),
        }
    ),
    creator_banned=st.booleans(),
    kind=ViewerKind,
    two_factor=st.booleans(),
    verified=st.booleans(),
)
def test_a_video_that_is_not_public_opens_only_to_its_creator_and_moderators(
    people, state, creator_banned, kind, two_factor, verified
):
    video, viewer = people["video"], people[kind]
    Video.objects.filter(pk=video.pk).update(**state)
    User.objects.filter(pk=people["owner"].pk).update(banned_at=timezone.now() if creator_banned else None)
    if viewer.is_authenticated:
        viewer.is_verified = lambda: verified  # what django-otp's middleware sets on request.user
    watchable = (
        state["processing"] == "ready"
        and state["moderation"] == "approved"
        and state["visibility"] != "private"
        and not state["hidden"]
        and not creator_banned
    )
    moderator = kind in ("moderator", "superuser") and (verified or not two_factor)
    with override_settings(STAFF_2FA=two_factor):
        found = video_for_viewer(public_id=video.public_id, user=viewer)
    assert (found is not None) == (watchable or kind == "owner" or moderator)


Account = st.sampled_from(["ordinary", "staff", "moderator", "superuser"])


@CAPPED
@given(
    actor_kind=Account, target_kind=Account, action=st.sampled_from(["suspend", "ban", "reinstate"]), same=st.booleans()
)
def test_sanctions_against_staff_come_only_from_a_superuser_and_never_against_oneself(
    make_user, actor_kind, target_kind, action, same
):
    def account(kind):
        user = make_user(is_staff=kind != "ordinary", is_superuser=kind == "superuser")
        if kind == "moderator":
            user.groups.add(Group.objects.get(name="Moderators"))
        return user

    actor = account(actor_kind)
    target = actor if same else account(target_kind)
    if action == "reinstate":
        User.objects.filter(pk=target.pk).update(suspended_until=timezone.now() + timedelta(days=1))
        target.refresh_from_db()
    before = (target.strikes, target.suspended_until, target.banned_at)
    target_is_staff = target.is_staff or target.is_superuser
    allowed = (
        not same
        and (actor.is_superuser or not target_is_staff)
        and actor_kind in ("moderator", "superuser")  # the Moderators group holds the sanction permissions
    )
    call = {
        "suspend": lambda: sanctions.user_suspend(user=target, actor=actor, days=1, reason="property"),
        "ban": lambda: sanctions.user_ban(user=target, actor=actor, reason="property"),
        "reinstate": lambda: sanctions.user_reinstate(user=target, actor=actor, reason="property"),
    }[action]
    if allowed:
        call()
        return
    with pytest.raises(Refused):
        call()
    target.refresh_from_db()
    assert (target.strikes, target.suspended_until, target.banned_at) == before


@pytest.fixture
def reported_video(make_user):
    moderator = make_user("queue-mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    video = ready_video(make_user("reported-maker"), media=False)
    for name in ("r1", "r2"):
        Report.objects.create(reporter=make_user(name), content_type=ContentType.objects.get_for_model(Video),
                              object_id=video.pk, category="H", weight=0.5)  # fmt: skip
    return moderator, video


@CAPPED
@given(
    content_type=st.one_of(nasty_text, st.integers(-5, 10**12).map(str)),
    object_id=st.one_of(nasty_text, st.integers(-5, 10**12).map(str)),
    verdict=st.one_of(nasty_text, st.sampled_from(["uphold", "dismiss"])),
    note=nasty_text,
)
def test_a_decision_on_a_reported_item_refuses_bad_input_and_changes_nothing(
    client, reported_video, content_type, object_id, verdict, note
):
    moderator, video = reported_video
    client.force_login(moderator)
    response = client.post(
        "/admin/moderation/reported-items/",
        {"content_type": content_type, "object_id": object_id, "verdict": verdict, "note": note},
    )
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        assert "\n" not in response.content.decode().strip()  # one line
        assert Report.objects.filter(object_id=video.pk, status="open").count() == 2
        video.refresh_from_db()
        assert video.moderation == Video.Moderation.APPROVED


@CAPPED
@given(queue=nasty_text, moderation=nasty_text)
def test_the_video_queue_filters_never_fail_with_a_server_error(client, reported_video, queue, moderation):
    client.force_login(reported_video[0])
    response = client.get("/admin/moderation/videoreview/", {"queue": queue, "moderation__exact": moderation})
    assert response.status_code < 500
