"""gunicorn's settings for the web workers: `gunicorn -c gunicorn.conf.py` (the application is named
here). Address from HOST and PORT, worker count from WEB_WORKERS, request timeout from WEB_TIMEOUT,
access log on stdout. Each worker loads the text models (comment classifier, language detector,
multilingual model) as it starts, so the first comment after a restart is decided as fast as any
other; AppConfig.ready() would make every command and test pay for them instead."""

import os
import time

wsgi_app = "tiktok.wsgi:application"
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_WORKERS", "2"))
# Uploads stream through the workers; the slowest ones take minutes on a slow line.
timeout = int(os.environ.get("WEB_TIMEOUT", "600"))
accesslog = "-"
# The request's duration in seconds (%(L)s) closes each line.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s "%(a)s" %(L)s'


def post_worker_init(worker):
    """Runs in each worker after it has loaded the application (so Django is set up)."""
    from django.db import connections  # noqa: PLC0415  (Django is importable only once the app is loaded)

    from moderation import services  # noqa: PLC0415  (idem)

    started = time.perf_counter()
    try:
        services.text_models_warm()
        worker.log.info("worker %s: text models loaded in %.2f s", worker.pid, time.perf_counter() - started)
    except Exception as exc:  # a worker that cannot load the model still serves; comments are then held
        worker.log.error("worker %s: text models could not be loaded: %s", worker.pid, exc)
    finally:
        connections.close_all()  # the warm-up's database connection is not the request's to reuse
