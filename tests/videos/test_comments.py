"""Comments: posting shows the author the state at once, others see only published ones,
limits, deletion rights, one level of replies, and a query count that does not grow."""

import pytest
from django.db import reset_queries
from django.urls import reverse

from tests.factories import counting_queries, make_user, ready_video
from videos.commenting import comment_count_refresh
from videos.models import Comment, Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def video():
    return ready_video(make_user("maker"), title="Talk about it", media=False)


def _post(client, video, text, **extra):
    url = reverse("videos:comments", args=[video.public_id])
    return client.post(url, {"text": text, **extra}, HTTP_HX_REQUEST="true")


def test_a_new_comment_shows_its_author_the_screening_state_at_once(client, video):
    author = make_user("author")
    client.force_login(author)
    resp = _post(client, video, "  First!  ")
    assert resp.status_code == 200
    comment = Comment.objects.get()
    assert comment.text == "First!"
    html = resp.content.decode()
    labels = {"held": "held for review", "rejected": "removed"}
    if comment.state in labels:
        assert labels[comment.state] in html
    assert "First!" in html
    assert video.events.filter(kind="comment", user=author).exists()


def test_others_see_only_published_comments_and_authors_see_their_own(client, video):
    author, other = make_user("author"), make_user("other")
    Comment.objects.create(video=video, author=author, text="visible one", state="published")
    Comment.objects.create(video=video, author=author, text="waiting one", state="held")
    Comment.objects.create(video=video, author=author, text="hidden one", state="published", hidden=True)
    url = reverse("videos:comments", args=[video.public_id])
    client.force_login(other)
    html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "visible one" in html and "waiting one" not in html and "hidden one" not in html
    client.force_login(author)
    html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "waiting one" in html and "held for review" in html


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Write something"), ("   \n\t ", "Write something"), ("x" * 2001, "at most 2,000 characters")],
)
def test_empty_and_too_long_comments_get_a_clear_400_and_no_row(client, video, text, message):
    client.force_login(make_user("author"))
    resp = _post(client, video, text)
    assert resp.status_code == 400 and message in resp.content.decode()
    assert not Comment.objects.exists()


def test_a_comment_of_exactly_2000_characters_is_accepted(client, video):
    client.force_login(make_user("author"))
    assert _post(client, video, "y" * 2000).status_code == 200


def test_comments_on_a_video_with_comments_off_are_refused(client, video):
    Video.objects.filter(pk=video.pk).update(allow_comments=False)
    client.force_login(make_user("author"))
    resp = _post(client, video, "hello")
    assert resp.status_code == 403 and "turned off" in resp.content.decode()
    assert not Comment.objects.exists()
    html = client.get(reverse("videos:comments", args=[video.public_id]), HTTP_HX_REQUEST="true").content.decode()
    assert "turned comments off" in html and "<textarea" not in html


def test_unknown_and_private_videos_and_anonymous_posts_are_refused(client, video):
    private = ready_video(video.creator, title="private", visibility="private", media=False)
    assert _post(client, video, "hi").status_code == 403
    client.force_login(make_user("author"))
    assert client.post(reverse("videos:comments", args=["missing"]), {"text": "hi"}).status_code == 404
    assert _post(client, private, "hi").status_code == 404
    assert client.get(reverse("videos:comments", args=[private.public_id])).status_code == 404
    assert not Comment.objects.exists()


def test_replies_are_one_level_deep(client, video):
    author, replier = make_user("author"), make_user("replier")
    top = Comment.objects.create(video=video, author=author, text="top", state="published")
    reply = Comment.objects.create(video=video, author=replier, text="reply", parent=top, state="published")
    client.force_login(replier)
    assert _post(client, video, "reply to a reply", parent=reply.pk).status_code == 200
    newest = Comment.objects.latest("pk")
    assert newest.parent_id == top.pk
    assert _post(client, video, "to nowhere", parent=999999).status_code == 404
    assert _post(client, video, "bad id", parent="abc").status_code == 404


def test_authors_delete_their_own_creators_any_and_others_none(client, video):
    author, stranger = make_user("author"), make_user("stranger")
    mine = Comment.objects.create(video=video, author=author, text="mine", state="published")
    theirs = Comment.objects.create(video=video, author=stranger, text="theirs", state="published")
    client.force_login(stranger)
    resp = client.post(reverse("videos:comment_delete", args=[mine.pk]))
    assert resp.status_code == 403
    assert Comment.objects.filter(pk=mine.pk).exists()
    assert client.post(reverse("videos:comment_delete", args=[424242])).status_code == 404
    client.force_login(author)
    assert client.post(reverse("videos:comment_delete", args=[mine.pk]), HTTP_HX_REQUEST="true").status_code == 200
    client.force_login(video.creator)
    resp = client.post(reverse("videos:comment_delete", args=[theirs.pk]), HTTP_HX_REQUEST="true")
    assert resp.status_code == 200
    assert not Comment.objects.exists()
    # The comment's element goes; the panel's and the card's counts are updated out of band.
    body = resp.content.decode()
    assert f'id="comment-count-{video.public_id}" hx-swap-oob="true">0<' in body
    assert f'id="card-comments-{video.public_id}" hx-swap-oob="true">0<' in body


def test_the_comment_count_only_counts_what_others_can_read(client, video):
    author = make_user("author")
    Comment.objects.create(video=video, author=author, text="a", state="published")
    Comment.objects.create(video=video, author=author, text="b", state="held")
    comment_count_refresh(video=video)
    video.refresh_from_db()
    assert video.comment_count == 1


def test_the_comments_page_query_count_does_not_grow_with_comments(client, video, django_assert_max_num_queries):

    viewer = make_user("viewer")
    client.force_login(viewer)
    url = reverse("videos:comments", args=[video.public_id])

    def add(n):
        for i in range(n):
            author = make_user(f"a{Comment.objects.count()}")
            top = Comment.objects.create(video=video, author=author, text=f"top {i}", state="published")
            Comment.objects.create(video=video, author=viewer, text=f"re {i}", parent=top, state="published")

    add(2)
    client.get(url, HTTP_HX_REQUEST="true")
    with counting_queries() as small:
        client.get(url, HTTP_HX_REQUEST="true")
    add(15)
    reset_queries()  # the request clears the log at its start; begin from zero
    with django_assert_max_num_queries(len(small)), counting_queries() as large:
        html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 3 < len(large) <= len(small)
    assert html.count('class="comment"') + html.count('class="comment ') >= 20
    assert "More comments" not in html or "before=" in html


def test_comments_are_paginated_newest_first(client, video):
    author = make_user("author")
    for i in range(25):
        Comment.objects.create(video=video, author=author, text=f"number {i:02d}", state="published")
    url = reverse("videos:comments", args=[video.public_id])
    first = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert first.index("number 24") < first.index("number 05")
    assert "number 04" not in first and "More comments" in first
    oldest_shown = Comment.objects.get(text="number 05").pk
    rest = client.get(f"{url}?before={oldest_shown}", HTTP_HX_REQUEST="true").content.decode()
    assert "number 04" in rest and "number 00" in rest and "number 05" not in rest
    assert client.get(f"{url}?before=abc").status_code == 400
