"""Search reads the token table (videos/search_index.py): one indexed prefix match per query word,
never a scan of videos' text with regular expressions. The table follows each video through
publication, edits and unpublication; creator tokens follow the creator's current name; queries
are bounded in words and paged."""

import importlib
import io
import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.services import profile_apply_moderation, profile_update
from tests.factories import make_user, ready_video
from videos import search_index, views
from videos.models import SearchToken, Video
from videos.services import video_apply_moderation, video_update

pytestmark = pytest.mark.django_db


def found(client, q, **params) -> list[str]:
    html = client.get(reverse("videos:search"), {"q": q, **params}).content.decode()
    return re.findall(r'href="/v/([\w-]+)/" class="tile-link"', html)


def tokens(video) -> set[str]:
    return set(SearchToken.objects.filter(video=video).values_list("token", flat=True))


def edit(video, **changes):
    fields = {
        "title": video.title,
        "description": video.description,
        "categories": list(video.categories.all()),
        "visibility": video.visibility,
        "allow_comments": video.allow_comments,
    }
    return video_update(video=video, **{**fields, **changes})


# --- The query ---------------------------------------------------------------------------------


def test_a_search_reads_the_token_table_and_never_scans_with_a_regular_expression(client):
    video = ready_video(make_user("maker"), title="Sunset over the bay", description="Golden #hour", media=False)
    with CaptureQueriesContext(connection) as queries:
        assert found(client, "sun gold #hou") == [video.public_id]
    sql = [q["sql"] for q in queries.captured_queries]
    searched = [s for s in sql if "videos_searchtoken" in s]
    assert searched, sql
    assert not any("REGEXP" in s.upper() for s in sql)
    assert all(" LIKE " in s.upper() for s in searched)


def test_the_token_lookup_uses_the_index():
    ready_video(make_user("maker"), title="Sunset over the bay", media=False)
    query = search_index.matching_video_ids("sun").query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "USING INDEX searchtoken_token_idx" in plan or "USING COVERING INDEX searchtoken_token_idx" in plan
            assert "SCAN videos_searchtoken" not in plan, plan
        else:  # MariaDB
            cursor.execute(f"EXPLAIN {sql}", params)
            columns = [c[0] for c in cursor.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
            token_row = next(r for r in rows if r["table"] in ("videos_searchtoken", "U0"))
            # The optimiser may range-scan the token index, or join by video and filter rows with
            # it (`ref|filter`); either way the token index is used and the table is never scanned.
            assert "searchtoken_token_idx" in (token_row["key"] or "").split("|"), rows
            assert token_row["type"] != "ALL", rows


def test_special_characters_are_literal_not_like_wildcards(client):
    maker = make_user("maker")
    percent = ready_video(maker, title="100% real", media=False)
    underscore = ready_video(maker, title="snake_case tips", media=False)
    plain = ready_video(maker, title="xyz and 1000 more", media=False)
    assert found(client, "10%") == [] and found(client, "100%") == [percent.public_id]
    assert found(client, "snake_") == [underscore.public_id]
    assert found(client, "x_z") == [] and found(client, "100_") == []
    assert found(client, "\\") == [] and found(client, "1000") == [plain.public_id]


def test_compatibility_forms_and_case_match_as_the_same_letters(client):
    video = ready_video(make_user("maker"), title="Ｃａｆé ＮＩＧＨＴ", media=False)
    assert found(client, "café") == found(client, "ＣＡＦÉ") == found(client, "night") == [video.public_id]
    assert found(client, "cafe") == []  # accents are letters of their own, on every database


def test_at_most_the_first_words_of_a_query_count(client):
    video = ready_video(make_user("maker"), title="one two three four five six seven eight", media=False)
    words = "one two three four five six seven eight"
    assert found(client, words + " nothing-matches-this") == [video.public_id]
    with CaptureQueriesContext(connection) as queries:
        found(client, " ".join(f"w{i}" for i in range(50)))
    (search_sql,) = [q["sql"] for q in queries.captured_queries if "videos_searchtoken" in q["sql"]]
    # One indexed prefix match per counted word, whatever the length of the query.
    assert len(re.findall(r'FROM [`"]videos_searchtoken[`"]', search_sql)) == search_index.MAX_QUERY_WORDS == 8
    assert search_sql.upper().count(" LIKE ") == 8


def test_results_are_paged_newest_first(client, monkeypatch):
    monkeypatch.setattr(views, "SEARCH_PAGE_SIZE", 4)
    maker = make_user("maker")
    made = [ready_video(maker, title=f"Clip {i} of the series", media=False) for i in range(10)]
    newest_first = [v.public_id for v in sorted(made, key=lambda v: (v.published_at, v.pk), reverse=True)]
    pages = [found(client, "series", page=p) for p in (1, 2, 3)]
    assert pages[0] + pages[1] + pages[2] == newest_first and [len(p) for p in pages] == [4, 4, 2]
    first = client.get(reverse("videos:search"), {"q": "series"}).content.decode()
    assert "page=2" in first and "More results" in first
    last = client.get(reverse("videos:search"), {"q": "series", "page": 3}).content.decode()
    assert "More results" not in last and "page=2" in last
    for bad in ("0", "-1", "abc", str(views.SEARCH_MAX_PAGES + 1), "9" * 5000):
        response = client.get(reverse("videos:search"), {"q": "series", "page": bad})
        assert response.status_code == 400
        assert response.content.decode() == f"page must be a whole number from 1 to {views.SEARCH_MAX_PAGES}."


# --- The table follows the video ---------------------------------------------------------------


def test_tokens_are_written_on_publication_and_removed_on_unpublication(client):
    maker = make_user("maker")
    video = Video.objects.create(creator=maker, title="Lemon cake", description="Bake it #dessert", processing="ready")
    assert tokens(video) == set() and found(client, "lemon") == []
    video_apply_moderation(video=video, outcome=Video.Moderation.APPROVED, reason="ok")
    assert {"lemon", "cake", "bake", "it", "#dessert", "dessert"} <= tokens(video)
    assert found(client, "lemon") == found(client, "#dess") == found(client, "maker") == [video.public_id]
    video_apply_moderation(video=video, outcome=Video.Moderation.REJECTED, reason="removed")
    assert tokens(video) == set() and found(client, "lemon") == []


def test_an_edit_rewrites_the_tokens_and_a_private_video_has_none(client):
    video = ready_video(make_user("maker"), title="Lemon cake", media=False)
    edit(video, title="Orange tart", description="Zest #citrus")
    assert "lemon" not in tokens(video) and {"orange", "zest", "#citrus", "citrus"} <= tokens(video)
    assert found(client, "lemon") == [] and found(client, "citrus") == [video.public_id]
    edit(video, visibility=Video.Visibility.PRIVATE)
    assert tokens(video) == set() and found(client, "orange") == []
    edit(video, visibility=Video.Visibility.PUBLIC)
    assert found(client, "orange") == [video.public_id]


def test_a_video_hidden_or_deleted_outside_those_paths_is_not_found(client):
    video = ready_video(make_user("maker"), title="Lemon cake", media=False)
    Video.objects.filter(pk=video.pk).update(hidden=True)
    assert tokens(video) and found(client, "lemon") == []  # the query keeps to listable videos


def test_creator_tokens_count_only_for_the_current_published_name(client):
    maker = make_user("maker", display_name="Chef Ana")
    video = ready_video(maker, title="Pasta", media=False)
    assert found(client, "ana") == [video.public_id]
    profile_apply_moderation(user=maker, state="held")
    assert found(client, "ana") == [] and found(client, "maker") == [video.public_id]
    User.objects.filter(pk=maker.pk).update(display_name="Chef Bo")  # renamed, and the new name shown
    profile_apply_moderation(user=maker, state="published")
    # Publishing the profile refreshes its videos' tokens (videos listens to accounts' signal).
    assert found(client, "bo") == [video.public_id] and found(client, "ana") == []


def test_a_published_profile_edit_makes_the_new_name_searchable(client):
    maker = make_user("maker", display_name="Chef Ana")
    video = ready_video(maker, title="Pasta", media=False)
    profile_update(user=maker, display_name="Chef Bo", bio="")  # screened by the real content gate
    maker.refresh_from_db()
    assert maker.profile_state == User.ProfileState.PUBLISHED
    assert found(client, "bo") == [video.public_id] and found(client, "ana") == []


# --- Filling the table for videos that existed before it ---------------------------------------


def test_the_migration_and_the_command_index_existing_videos(client):
    maker = make_user("maker", display_name="Chef Ana")
    listed = ready_video(maker, title="Sunset", description="over #sea", hashtags=["sea"], media=False)
    private = ready_video(maker, title="Sunset at home", visibility="private", media=False)
    expected = tokens(listed)
    SearchToken.objects.all().delete()
    assert found(client, "sunset") == []

    migration = importlib.import_module("videos.migrations.0004_searchtoken")
    migration.fill_tokens(apps, None)
    assert tokens(listed) == expected and tokens(private) == set()
    assert found(client, "sunset") == found(client, "ana") == [listed.public_id]

    SearchToken.objects.all().delete()
    SearchToken.objects.create(video=private, token="stale")  # a leftover of a video no longer listable
    out = io.StringIO()
    call_command("search_tokens_rebuild", stdout=out)
    assert tokens(listed) == expected and tokens(private) == set()
    assert out.getvalue().strip() == f"videos=2 tokens={len(expected)}"


def test_word_starts_follow_the_old_regular_expression():
    # (^|\W)word: every position at the start of the text or after a non-word character.
    assert search_index.word_starts("My cat's nap") == {"my", "cat's", "s", "nap"}
    assert search_index.word_starts("(cats) catch-up a.b") == {"(cats)", "cats)", "catch-up", "up", "a.b", "b"}
    assert search_index.word_starts("x" * 100) == {"x" * search_index.TOKEN_LENGTH}
    assert search_index.query_words("  A a  b ") == ["a", "b"]
