"""Each worker of the long cluster loads the video moderation models when it starts (django-q2's
`post_spawn`), so the first video it screens does not wait for them: loading the comment
classifier, Whisper and the NSFW model takes seconds of CPU, several times a short clip's stages
once they are loaded (docs/performance.md, bench_publish)."""

import logging
import time

from django_q.conf import Conf

from moderation import nsfw, services, speech

log = logging.getLogger(__name__)
LONG_CLUSTER = "long"


def models_warm(sender=None, proc_name: str = "", **kwargs) -> None:
    """Load the models in this worker process (long-cluster workers only). A model that cannot
    load is left for its stage to report (the stage fails and the video goes to review)."""
    if Conf.CLUSTER_NAME != LONG_CLUSTER:
        return
    started = time.monotonic()
    for name, load in (
        # The text decision (classifier, language detector, multilingual model) of titles and
        # transcripts, as a web worker warms it.
        ("text models", services.text_models_warm),
        ("whisper", speech._model),
        ("nsfw", nsfw._get),
    ):
        try:
            load()
        except Exception as exc:  # reported again, and failed closed, by the stage that needs it
            log.warning("%s: %s could not load at start: %s", proc_name, name, exc)
    log.info("%s: moderation models loaded in %.1f s", proc_name, time.monotonic() - started)
