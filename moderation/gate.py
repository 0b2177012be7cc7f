"""The content gate that `videos` and `accounts` hand new content to (settings.CONTENT_GATE; see
tiktok/gate.py). Text is decided at once, in the request; a video's moderation is its own job."""

from moderation import avatars, services, staged, video_jobs, video_pipeline
from moderation.models import ModerationDecision
from tiktok import staging
from videos.models import Video


class ModerationGate:
    def comment_created(self, *, comment) -> None:
        services.comment_screen(comment=comment)

    def video_source_accepted(self, *, video) -> None:
        video_jobs.video_moderation_prepare(video=video)

    def video_source_checked(self, *, video) -> None:
        # The stages read the source while the renditions are encoded (unless Gemini is to see
        # this video: it only ever gets a rendition, so that job waits for them).
        video_jobs.video_moderation_start_early(video=video)

    def video_renditions_ready(self, *, video) -> None:
        video_jobs.video_moderation_when_ready(video=video)

    def video_text_changed(self, *, video) -> None:
        """A published video's new title and description are staged: only they are decided, and
        the video stays up meanwhile. After an edit of a video not yet published only the text
        stage runs again, when an earlier full run left the other stages' results; otherwise
        (never screened) the full job is queued."""
        if staging.has_staged(video):
            staged.staged_screen(item=video)
            return
        previous = (
            services.decisions_for(item=video).filter(source=ModerationDecision.Source.AUTO, action="screen").first()
            if video.moderation != Video.Moderation.PENDING
            else None
        )
        if previous is not None and previous.stages.get("frames"):
            video_pipeline.video_rescreen_text(video=video, previous=previous)
        else:
            video_jobs.video_moderation_enqueue(video=video)

    def video_made_public(self, *, video) -> None:
        """A video screened while private or unlisted may have skipped stages that only public
        videos get (Gemini under GEMINI_SEND=public): it is moderated again, whole, as a job."""
        previous = (
            services.decisions_for(item=video).filter(source=ModerationDecision.Source.AUTO, action="screen").first()
        )
        gemini_stage = (previous.stages or {}).get("gemini", {}) if previous is not None else {}
        if previous is None or gemini_stage.get("withheld"):
            video_jobs.video_moderation_enqueue(video=video)

    def profile_changed(self, *, user) -> None:
        staged.staged_screen(item=user)

    def avatar_check(self, *, data: bytes) -> None:
        avatars.avatar_check(data=data)
