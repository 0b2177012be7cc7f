"""The search index: every word start of a listable video's searchable text, one `SearchToken`
row each, so that search is one indexed prefix match per query word instead of a scan.

Search finds a video when each query word matches, literally, at the start of a word of its
title, description, hashtags or its creator's username or published display name; a word starts
at the start of the text or after a character that is not a letter, digit or underscore. So
"cat" finds "cats", "(cat" and "catch-up", not "education"; "a.b" finds "a.b". The index holds,
for each such position, the text from there to the next whitespace (a query word never holds
whitespace), NFKC-normalised, lower-cased and cut to `TOKEN_LENGTH` characters. A query word,
normalised the same way, matches a video when one of its tokens starts with it: `LIKE 'word%'`,
with `%`, `_` and `\\` in the word escaped, on an index (see migration 0004 for why that index is
`COLLATE NOCASE` on SQLite and the column `utf8mb4_bin` on MariaDB: both then compare exactly,
as the lower-cased tokens need, and both can use the index).

A video's tokens are written when it becomes listable and rewritten when its text changes
(`videos.services.video_apply_moderation` and `video_update` call `video_tokens_refresh`); they
are removed when it stops being listable through those paths. Search still keeps to listable
videos at query time, so a token left behind (a video hidden, deleted or its creator banned,
which do not pass through those two services) finds nothing. Creator tokens name the name they
came from and count only while it is still the creator's current name (and, for a display name,
while the profile is published): a renamed creator's old name finds nothing; the new one is
indexed by `creator_tokens_refresh` or the next refresh of each video
(`manage.py search_tokens_rebuild` refreshes everything)."""

import re
import unicodedata

from django.db import transaction
from django.db.models import F, Q, QuerySet

from accounts.models import User
from videos.models import SearchToken, Video

TOKEN_LENGTH = 64  # characters kept of each word start (and of each query word)
MAX_QUERY_WORDS = 8  # words of a query that count; the rest are ignored

_WORD_CHARACTER = re.compile(r"\w")


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def word_starts(text: str) -> set[str]:
    """The tokens of `text`: from each word start to the next whitespace, at most TOKEN_LENGTH."""
    tokens = set()
    for chunk in normalise(text).split():
        for i in range(len(chunk)):
            if i == 0 or not _WORD_CHARACTER.match(chunk[i - 1]):
                tokens.add(chunk[i : i + TOKEN_LENGTH])
    return tokens


def query_words(q: str) -> list[str]:
    """The words of a query that count, normalised like the tokens, each once, in order."""
    words = [word[:TOKEN_LENGTH] for word in normalise(q).split()]
    return list(dict.fromkeys(words))[:MAX_QUERY_WORDS]


def token_rows(
    *, title: str, description: str, hashtags: list[str], username: str, display_name: str
) -> list[tuple[str, str, str]]:
    """(kind, token, source) for one video; a pure function (migration 0004 uses it too)."""
    text = word_starts(title) | word_starts(description)
    for name in hashtags:
        text |= word_starts(f"#{name}")
    rows = [(SearchToken.Kind.TEXT, token, "") for token in sorted(text)]
    rows += [(SearchToken.Kind.USERNAME, token, username) for token in sorted(word_starts(username))]
    rows += [(SearchToken.Kind.NAME, token, display_name) for token in sorted(word_starts(display_name))]
    return rows


def matching_video_ids(word: str) -> QuerySet:
    """The ids of videos with a token starting with `word` (already normalised): one range of
    the token index; creator tokens count only for the creator's current, shown name."""
    current_name = (
        Q(kind=SearchToken.Kind.TEXT)
        | Q(kind=SearchToken.Kind.USERNAME, source=F("video__creator__username"))
        | Q(
            kind=SearchToken.Kind.NAME,
            source=F("video__creator__display_name"),
            video__creator__profile_state=User.ProfileState.PUBLISHED,
        )
    )
    # istartswith, not startswith: both are LIKE on SQLite, but on MariaDB startswith is LIKE
    # BINARY, which cannot use the index; the column's binary collation makes LIKE exact there.
    return SearchToken.objects.filter(current_name, token__istartswith=word).values("video_id")


def video_tokens_refresh(*, video: Video) -> int:
    """Make the video's tokens match its current text and creator: written while it is listable,
    removed otherwise. Returns the number of tokens written."""
    current = Video.objects.select_related("creator").filter(pk=video.pk).first()
    with transaction.atomic():
        SearchToken.objects.filter(video_id=video.pk).delete()
        if current is None or not current.is_listable or current.creator.banned_at is not None:
            return 0
        rows = token_rows(
            title=current.title,
            description=current.description,
            hashtags=list(current.hashtags.values_list("name", flat=True)),
            username=current.creator.username,
            display_name=current.creator.display_name,
        )
        SearchToken.objects.bulk_create(
            [SearchToken(video=current, kind=kind, token=token, source=source) for kind, token, source in rows],
            batch_size=500,
        )
    return len(rows)


def creator_tokens_refresh(*, user) -> int:
    """After a creator's name changes: refresh the tokens of each of their videos."""
    ids = set(Video.objects.filter(creator=user, deleted_at__isnull=True).values_list("pk", flat=True))
    ids |= set(SearchToken.objects.filter(video__creator=user).values_list("video_id", flat=True))
    return sum(video_tokens_refresh(video=Video(pk=pk)) for pk in sorted(ids))
