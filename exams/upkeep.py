"""The exams app's upkeep pass: submit attempts past their deadline, retry failed gradings."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from containers.models import LIVE_STATUSES
from exams import services
from exams.models import AttemptStatus, ExamAttempt

logger = logging.getLogger(__name__)

# An attempt still "grading" this long after its submission lost its grader
# (the process died), so the upkeep process grades it.
STALE_GRADING = timedelta(minutes=5)
# A graded attempt whose container is still there this long after grading
# had its clean-up fail.
CLEAN_UP_DELAY = timedelta(minutes=2)


def run():
    """Run one round of exam upkeep. Each attempt logs and survives its own failures."""
    submit_overdue_attempts()
    retry_gradings()
    remove_graded_containers()


def submit_overdue_attempts():
    overdue = ExamAttempt.objects.filter(
        status=AttemptStatus.IN_PROGRESS, deadline__lte=timezone.now()
    ).order_by("deadline")
    for attempt in overdue:
        logger.info(
            "upkeep: submitting attempt %s of user %s, deadline %s passed",
            attempt.pk,
            attempt.user_id,
            attempt.deadline.isoformat(),
        )
        _guarded(services.submit_attempt, attempt=attempt, auto=True)


def retry_gradings():
    now = timezone.now()
    failed = ExamAttempt.objects.filter(
        status=AttemptStatus.ERROR,
        grading_failures__lt=settings.EXAM_GRADING_MAX_FAILURES,
    )
    stale = ExamAttempt.objects.filter(
        status=AttemptStatus.GRADING, submitted_at__lt=now - STALE_GRADING
    )
    # SQLite rejects ORDER BY in the parts of a UNION, so the default ordering goes.
    for attempt in failed.order_by().union(stale.order_by()):
        # The wait after a failure grows with their number: 1, 2, 3 ... intervals.
        wait = timedelta(seconds=settings.EXAM_GRADING_RETRY_SECONDS * attempt.grading_failures)
        failed_at = attempt.grading_failed_at
        if attempt.status == AttemptStatus.ERROR and failed_at and failed_at + wait > now:
            continue
        logger.info(
            "upkeep: grading attempt %s again (status %s, %d failures)",
            attempt.pk,
            attempt.status,
            attempt.grading_failures,
        )
        _guarded(services.grade_attempt, attempt.pk, wait=False)


def remove_graded_containers():
    # The grader removes the container right after grading; a younger
    # grading may still be at it, and two removals would copy twice.
    leftovers = ExamAttempt.objects.filter(
        status=AttemptStatus.GRADED,
        container__status__in=LIVE_STATUSES,
        graded_at__lt=timezone.now() - CLEAN_UP_DELAY,
    ).select_related("container", "snapshot")
    for attempt in leftovers:
        logger.info("upkeep: removing the container of graded attempt %s", attempt.pk)
        _guarded(services.finish_graded, attempt)


def _guarded(action, *args, **kwargs):
    try:
        action(*args, **kwargs)
    except Exception:
        logger.exception("upkeep: %s failed (%s %s)", action.__name__, args, kwargs)
