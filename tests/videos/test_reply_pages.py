"""The comments panel shows the first few replies of each comment and pages the rest through
`videos:comment_replies`, so a page of the panel costs the same however long its threads grow."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import block_create
from tests.factories import make_user, ready_video
from videos import selectors
from videos.models import Comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread():
    creator, talker = make_user("creator"), make_user("talker")
    video = ready_video(creator, title="Long thread", media=False)
    top = Comment.objects.create(video=video, author=talker, text="first!", state="published")
    replies = [
        Comment.objects.create(video=video, author=creator, parent=top, text=f"reply number {i}", state="published")
        for i in range(7)
    ]
    return {"video": video, "top": top, "replies": replies, "creator": creator, "talker": talker}


def reply_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<li class="comment[^"]*" id="comment-(\d+)"', html)]


def more_link(html: str) -> str | None:
    found = re.findall(r'hx-get="([^"]*/replies/\?after=\d*)"', html)
    assert len(found) <= 1
    return found[0].replace("&amp;", "&") if found else None


def panel(client, video) -> str:
    return client.get(reverse("videos:comments", args=[video.public_id]), HTTP_HX_REQUEST="true").content.decode()


def test_the_panel_shows_the_first_replies_and_the_endpoint_pages_the_rest(client, thread, monkeypatch):
    monkeypatch.setattr(selectors, "REPLIES_PAGE_SIZE", 3)
    replies = [r.pk for r in thread["replies"]]
    html = panel(client, thread["video"])
    shown = [pk for pk in reply_ids(html) if pk != thread["top"].pk]
    assert shown == replies[: selectors.REPLIES_SHOWN] == replies[:3]
    link = more_link(html)
    assert link == f"/v/{thread['video'].public_id}/comments/{thread['top'].pk}/replies/?after={replies[2]}"

    seen = list(shown)
    while link:
        page = client.get(link, HTTP_HX_REQUEST="true")
        assert page.status_code == 200
        html = page.content.decode()
        got = reply_ids(html)
        assert 1 <= len(got) <= 3 and "first!" not in html  # only replies, never the thread's comment again
        seen += got
        link = more_link(html)
    assert seen == replies  # each reply once, oldest first


def test_a_page_of_the_panel_loads_the_same_number_of_rows_however_long_the_threads(client, thread):
    video = thread["video"]
    for i in range(3):
        top = Comment.objects.create(video=video, author=thread["talker"], text=f"another {i}", state="published")
        Comment.objects.bulk_create(
            Comment(video=video, author=thread["creator"], parent=top, text=f"r{j}", state="published")
            for j in range(40)
        )
    with CaptureQueriesContext(connection) as queries:
        page, _ = selectors.comments_for_video(video=video, user=None)
    assert len(page) == 4
    assert all(len(c.shown_replies) == selectors.REPLIES_SHOWN and c.more_replies for c in page)
    # "parent_id" on SQLite, `parent_id` on MariaDB
    (prefetch,) = [q["sql"] for q in queries.captured_queries if re.search(r"[\"`]parent_id[\"`] IN", q["sql"])]
    assert "ROW_NUMBER()" in prefetch.upper()  # the database stops at REPLIES_SHOWN + 1 per thread
    html = panel(client, video)
    assert len(reply_ids(html)) == 4 + 4 * selectors.REPLIES_SHOWN


def test_a_short_thread_has_no_more_link(client, thread):
    Comment.objects.filter(pk__in=[r.pk for r in thread["replies"][2:]]).delete()
    html = panel(client, thread["video"])
    assert len(reply_ids(html)) == 3 and more_link(html) is None


def test_reply_pages_follow_the_panel_s_rules(client, thread):
    video, top, replies = thread["video"], thread["top"], thread["replies"]
    Comment.objects.filter(pk=replies[4].pk).update(state="held")
    Comment.objects.filter(pk=replies[5].pk).update(hidden=True)
    url = reverse("videos:comment_replies", args=[video.public_id, top.pk])
    html = client.get(url, {"after": replies[2].pk}, HTTP_HX_REQUEST="true").content.decode()
    assert reply_ids(html) == [replies[3].pk, replies[6].pk]
    # Their author still sees their own held and hidden replies, as in the panel.
    client.force_login(thread["creator"])
    html = client.get(url, {"after": replies[2].pk}, HTTP_HX_REQUEST="true").content.decode()
    assert reply_ids(html) == [r.pk for r in replies[3:]]
    # Someone the viewer blocked (or who blocked them) is left out, and so is their thread.
    viewer = make_user("viewer")
    block_create(blocker=thread["creator"], blocked=viewer)
    client.force_login(viewer)
    assert reply_ids(client.get(url, HTTP_HX_REQUEST="true").content.decode()) == []
    block_create(blocker=viewer, blocked=thread["talker"])
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404


def test_reply_pages_refuse_what_is_not_a_visible_thread_of_this_video(client, thread):
    video, top, replies = thread["video"], thread["top"], thread["replies"]
    other = ready_video(thread["creator"], title="Another", media=False)

    def status(public_id, pk, **params):
        return client.get(reverse("videos:comment_replies", args=[public_id, pk]), params).status_code

    assert status(video.public_id, top.pk) == 200
    assert status(video.public_id, replies[0].pk) == 404  # a reply is not a thread
    assert status(other.public_id, top.pk) == 404  # the thread of another video
    assert status(video.public_id, 2**64) == 404
    assert status(video.public_id, top.pk, after="x") == 400
    assert status(video.public_id, top.pk, after="-1") == 400
    assert status(video.public_id, top.pk, after=str(2**70)) == 400
    Comment.objects.filter(pk=top.pk).update(state="held")
    assert status(video.public_id, top.pk) == 404  # a held thread, to anyone but its author
    client.force_login(thread["talker"])
    assert status(video.public_id, top.pk) == 200


def test_without_htmx_the_next_replies_are_a_page_of_their_own(client, thread):
    url = reverse("videos:comment_replies", args=[thread["video"].public_id, thread["top"].pk])
    html = client.get(url, {"after": thread["replies"][2].pk}).content.decode()
    assert "<html" in html and reply_ids(html) == [r.pk for r in thread["replies"][3:]]
