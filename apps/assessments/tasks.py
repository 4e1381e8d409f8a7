"""The pose pipeline task: clip -> landmarks -> gates -> score, for one attempt.

Takes an id (the schema travels in the task headers), is idempotent (a finished attempt
is left alone), acknowledges only when done (`acks_late`: a worker killed mid-clip has
the clip redelivered) and retries a bounded number of times before marking the attempt
failed. Workers recycle (CELERY_WORKER_MAX_TASKS_PER_CHILD): MediaPipe's native side grows
in long-lived processes.
"""

from __future__ import annotations

import logging
import os
import tempfile

from celery import shared_task
from django.db import DatabaseError

from apps.assessments import services, video

logger = logging.getLogger(__name__)

MAX_RETRIES = 2


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    default_retry_delay=10,
    # Far below the broker's visibility timeout (1 h), so a slow clip is never redelivered
    # while it is still being processed. A 45 s clip takes well under a minute.
    soft_time_limit=240,
    time_limit=300,
    name="apps.assessments.tasks.process_attempt",
)
def process_attempt(self, attempt_id: int) -> str:
    # Imported here, not at the top: web processes load every tasks module to queue tasks
    # by name (apps.common.queue), and must not load the native pose runtime.
    from apps.assessments import pose  # noqa: PLC0415

    attempt = services.attempt_claim(attempt_id=attempt_id, task_id=self.request.id or "")
    if attempt is None:
        return "skipped"
    try:
        with _local_file(attempt.video) as path:
            track = pose.extract(path, target_fps=attempt.spec.sample_fps)
        fields = services.evaluate(attempt=attempt, track=track)
    except video.VideoError as exc:
        # The stored clip itself cannot be decoded (checked at upload, so rare).
        services.attempt_finish(
            attempt_id=attempt_id,
            fields={
                "status": "invalid",
                "reason_code": exc.code,
                "reason_detail": exc.detail[:200],
            },
        )
        return "invalid"
    except (DatabaseError, OSError, pose.ModelMissing) as exc:
        if self.request.retries < MAX_RETRIES:
            raise self.retry(exc=exc) from exc
        logger.exception("Attempt %s failed after %s retries", attempt_id, MAX_RETRIES)
        services.attempt_fail(attempt_id=attempt_id, detail=str(exc))
        return "failed"
    except Exception as exc:  # a bug must not leave the attempt processing
        logger.exception("Attempt %s failed", attempt_id)
        services.attempt_fail(attempt_id=attempt_id, detail=f"{type(exc).__name__}: {exc}")
        return "failed"
    finished = services.attempt_finish(attempt_id=attempt_id, fields=fields)
    return finished.status if finished else "skipped"


class _local_file:
    """A local path for a stored file: the file itself on local disk, a temporary copy
    from object storage."""

    def __init__(self, field):
        self.field = field
        self.temp = None

    def __enter__(self) -> str:
        try:
            return self.field.path
        except NotImplementedError:
            fd, self.temp = tempfile.mkstemp(prefix="assessment-", suffix=".video")
            with os.fdopen(fd, "wb") as out, self.field.open("rb") as src:
                for chunk in src.chunks():
                    out.write(chunk)
            return self.temp

    def __exit__(self, *exc) -> None:
        if self.temp:
            os.unlink(self.temp)


@shared_task(name="apps.assessments.tasks.requeue_waiting_attempts")
def requeue_waiting_attempts() -> int:
    """Per gym: attempts whose pipeline task never reached the broker are queued again."""
    return services.attempts_requeue_waiting()
