"""Counts as 1.2K / 3.4M, relative times, and hashtags linked without letting HTML through."""

from datetime import timedelta

import pytest
from django.utils import timezone

from videos.templatetags.clip import ago, compact, hashtags


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0"), (999, "999"), (1000, "1K"), (1234, "1.2K"), (99_999, "99.9K"), (123_456, "123K"), (3_400_000, "3.4M")],
)
def test_counts_are_compact(n, text):
    assert compact(n) == text


def test_relative_times_read_naturally():
    now = timezone.now()
    assert ago(now - timedelta(seconds=5), now) == "just now"
    assert ago(now - timedelta(minutes=5), now) == "5m ago"
    assert ago(now - timedelta(hours=3), now) == "3h ago"
    assert ago(now - timedelta(days=2), now) == "2d ago"


@pytest.mark.django_db
def test_hashtags_are_linked_and_everything_else_is_escaped():
    html = hashtags("<script>alert(1)</script> #Dance & 'quotes' #ok_2")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a class="tag" href="/tag/dance/">#Dance</a>' in html
    assert '<a class="tag" href="/tag/ok_2/">#ok_2</a>' in html
    assert "x27" not in re.sub(r"&#x27;", "", html)


import re  # noqa: E402
