"""Comments: posted held and handed to the content gate, which decides them at once; their state
is written only here (comment_apply_moderation), with the count of what others can read and the
notices to the people a published comment concerns."""

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Notification
from accounts.services import notification_send
from tiktok import gate
from tiktok.errors import Refused
from videos.engagement import record_event
from videos.interactions import check_not_blocked, quote, rate_limit_hit, require_actor, watch_url
from videos.models import Comment, Video
from videos.selectors import is_blocked_between

COMMENT_MAX_CHARS = 2000


def comment_count_refresh(*, video: Video) -> None:
    """Recount the comments others can see (published, not hidden); call after a comment's
    state changes (moderation) so the count never shows comments nobody can read."""
    visible = (
        Comment.objects.filter(video=OuterRef("pk"), state=Comment.State.PUBLISHED, hidden=False)
        .order_by()
        .values("video")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Video.objects.filter(pk=video.pk).update(comment_count=Coalesce(Subquery(visible), 0))


def comment_published_notify(*, comment: Comment) -> None:
    """Tell the creator (and, for a reply, the thread's top author) about a comment once others
    can read it; the moderation path calls this when it publishes a held comment. A block made
    while the comment was held is honoured here too: `notification_send` drops anything whose
    actor and recipient are blocked either way."""
    video = comment.video
    url = watch_url(video)
    text = quote(comment.text)
    if comment.parent_id:
        notification_send(
            recipient=comment.parent.author,
            actor=comment.author,
            kind=Notification.Kind.REPLY,
            text=f"{comment.author.name} replied: “{text}”",
            url=url,
        )
    if not comment.parent_id or comment.parent.author_id != video.creator_id:
        notification_send(
            recipient=video.creator,
            actor=comment.author,
            kind=Notification.Kind.COMMENT,
            text=f"{comment.author.name} commented on “{quote(video.title, 40)}”: “{text}”",
            url=url,
        )


def comment_apply_moderation(*, comment: Comment, state: str) -> Comment:
    """Set a comment's state from a moderation decision (the only writer of `Comment.state`):
    the counts follow, and a comment others can now read is announced to the people it concerns."""
    if state not in Comment.State.values:
        raise ValueError(f"unknown comment state {state!r}")
    was_published = comment.state == Comment.State.PUBLISHED
    comment.state = state
    comment.save(update_fields=["state"])
    comment_count_refresh(video=comment.video)
    if state == Comment.State.PUBLISHED and not was_published:
        comment_published_notify(comment=comment)
    return comment


def comment_post(*, user, video: Video, text: str, parent_id=None, slot: str = "", session_key: str = "") -> Comment:
    """Create a comment (held) and hand it to the content gate, which decides it at once; the
    returned comment carries its state. A gate that fails leaves it held."""
    require_actor(user)
    check_not_blocked(user=user, video=video)
    if not video.allow_comments:
        raise Refused("Comments are turned off for this video.", status=403)
    text = (text or "").strip()
    if not text:
        raise Refused("Write something first.")
    if len(text) > COMMENT_MAX_CHARS:
        raise Refused(f"A comment can be at most {COMMENT_MAX_CHARS:,} characters ({len(text):,} given).")
    if rate_limit_hit(key=f"comment:{user.pk}", limit=settings.COMMENT_RATE_PER_MINUTE, window_s=60):
        raise Refused("You are commenting too fast; wait a minute.", status=429)
    parent = None
    if parent_id not in (None, ""):
        try:
            parent = Comment.objects.select_related("author").get(pk=int(parent_id), video=video)
        except (ValueError, TypeError, Comment.DoesNotExist):
            raise Refused("The comment you reply to does not exist.", status=404) from None
        # One level of replies: an answer to a reply goes to the thread's top comment, so it lands
        # in that comment's thread and its author's inbox. The person answered and the thread's
        # owner must both be readable, and a block with either refuses the reply, with the same
        # answer as a comment that does not exist (a block is not announced).
        top = parent
        if parent.parent_id:
            top = Comment.objects.select_related("author").get(pk=parent.parent_id)
        for answered in {parent, top}:
            if answered.author_id != user.pk and (answered.state != Comment.State.PUBLISHED or answered.hidden):
                raise Refused("The comment you reply to does not exist.", status=404)
            if is_blocked_between(user=user, other=answered.author):
                raise Refused("The comment you reply to does not exist.", status=404)
        parent = top
    with transaction.atomic():
        comment = Comment.objects.create(video=video, author=user, parent=parent, text=text, state=Comment.State.HELD)
        gate.comment_created(comment=comment)
        comment.refresh_from_db(fields=["state"])
        record_event(user=user, session_key=session_key, video=video, kind="comment", slot=slot)
    return comment


def comment_delete(*, user, comment: Comment) -> None:
    """Authors delete their own comments and creators any on their videos. Moderators remove
    others' comments in the admin's comment queue, where the removal is a recorded decision."""
    require_actor(user)
    video = comment.video
    if user.pk not in (comment.author_id, video.creator_id):
        raise Refused("You can only delete your own comments or comments on your videos.", status=403)
    with transaction.atomic():
        comment.delete()
        comment_count_refresh(video=video)
