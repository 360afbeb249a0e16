"""Writes of the exams app: starting, submitting, grading, regrading and extending attempts.

Grading runs once per round, whichever caller comes first: the student's
Submit, a second Submit racing it, or the upkeep process after the
deadline. Each grader locks the attempt's row and grades only an attempt
that is still waiting to be graded. Results, score and status are stored
in the transaction that has the lock.

These functions block on LXD and SSH; async views run them in a thread.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from containers import checks, lxd
from containers import services as container_services
from containers.consumers import CLOSE_TIME_OVER, close_container_terminals
from containers.errors import ContainerError
from containers.models import Container, Kind, Status
from exams.models import (
    AttemptStatus,
    ExamAttempt,
    ExamRegrade,
    ExamTaskResult,
    percent_of,
)

logger = logging.getLogger(__name__)

# The LXD snapshot taken when grading begins: the container as the student left it.
SNAPSHOT = "submitted"
WAITING_TO_BE_GRADED = [AttemptStatus.GRADING, AttemptStatus.ERROR]


class ExamUnavailable(Exception):
    """Error raised when the user may not start the exam now; message gives the reason."""

    def __init__(self, message, code):
        self.message = message
        self.code = code
        super().__init__(str(message))


class AttemptRunning(Exception):
    def __init__(self, attempt):
        self.attempt = attempt
        super().__init__(f"attempt {attempt.pk} is in progress")


class AttemptClosed(Exception):
    """Error raised when the attempt's status does not allow the request."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


@dataclass(frozen=True)
class Availability:
    attempts_used: int
    attempts_left: int
    running: ExamAttempt | None


def availability(user, exam):
    attempts = list(ExamAttempt.objects.filter(user=user, exam=exam))
    used = len(attempts)
    running = next((a for a in attempts if a.status == AttemptStatus.IN_PROGRESS), None)
    return Availability(used, max(0, exam.max_attempts - used), running)


def check_can_start(user, exam, now=None):
    """Raise AttemptRunning or ExamUnavailable when the user may not start the exam now."""
    now = now or timezone.now()
    state = availability(user, exam)
    if state.running is not None:
        raise AttemptRunning(state.running)
    if not exam.is_active:
        raise ExamUnavailable(_("This exam is not open."), "exam_inactive")
    if not exam.has_opened(now):
        raise ExamUnavailable(
            _("This exam opens at %(time)s, so it cannot be started yet.")
            % {"time": date_format(timezone.localtime(exam.available_from), "DATETIME_FORMAT")},
            "exam_not_open_yet",
        )
    if not exam.is_open(now):
        raise ExamUnavailable(_("This exam has closed."), "exam_closed")
    if state.attempts_left <= 0:
        raise ExamUnavailable(
            ngettext(
                "You have used the only attempt at this exam.",
                "You have used all %(count)d attempts at this exam.",
                exam.max_attempts,
            )
            % {"count": exam.max_attempts},
            "no_attempts_left",
        )
    if not exam.tasks.exists():
        raise ExamUnavailable(_("This exam has no tasks yet."), "exam_without_tasks")


def start_exam(*, user, exam):
    """Create an attempt with a fresh container; the clock starts once the container is ready.

    Raises AttemptRunning when the user has an attempt in progress and
    ExamUnavailable when no attempt may start. The deadline is the start
    plus the exam's duration, but never later than the end of its window.
    """
    check_can_start(user, exam)
    container = container_services.create_prepared_container(
        owner=user,
        kind=Kind.EXAM,
        image=exam.image or settings.LXD_IMAGE,
        setup_script=exam.setup_script,
    )
    try:
        attempt = _record_start(user, exam, container)
    except (AttemptRunning, ExamUnavailable, IntegrityError):
        container_services.delete_container(container)
        raise
    logger.info(
        "exam started: exam=%s user=%s attempt=%s deadline=%s",
        exam.slug,
        user.pk,
        attempt.pk,
        attempt.deadline.isoformat(),
    )
    return attempt


def _record_start(user, exam, container):
    with transaction.atomic():
        # One start at a time per user, so the attempt count cannot race.
        get_user_model().objects.select_for_update().get(pk=user.pk)
        now = timezone.now()
        check_can_start(user, exam, now)
        deadline = now + timedelta(minutes=exam.duration_minutes)
        if exam.available_until is not None:
            deadline = min(deadline, exam.available_until)
        attempt = ExamAttempt.objects.create(
            user=user, exam=exam, container=container, started_at=now, deadline=deadline
        )
        _give_access_until(container, deadline)
    return attempt


def _give_access_until(container, deadline):
    lifetime = timedelta(hours=settings.EXAM_CONTAINER_LIFETIME_HOURS)
    Container.objects.filter(pk=container.pk).update(
        access_until=deadline, expires_at=deadline + lifetime
    )


def _lock(attempt_id, *, skip_locked=False):
    """Return the attempt with its row locked, or None when skip_locked and another holds it."""
    attempts = ExamAttempt.objects.select_for_update(of=("self",), skip_locked=skip_locked)
    return (
        attempts.select_related("exam", "container", "snapshot", "user")
        .filter(pk=attempt_id)
        .first()
    )


def submit_attempt(*, attempt, auto=False, language=None):
    """End an attempt in progress and grade it; return the attempt as it is afterwards.

    Submitting an attempt that was submitted already grades nothing again.
    auto marks a submission by the platform after the deadline. language is
    passed on to grade_attempt.
    """
    with transaction.atomic():
        locked = _lock(attempt.pk)
        if locked.status == AttemptStatus.IN_PROGRESS:
            now = timezone.now()
            locked.status = AttemptStatus.GRADING
            locked.submitted_at = now
            locked.auto_submitted = auto or now >= locked.deadline
            locked.save(update_fields=["status", "submitted_at", "auto_submitted"])
            if locked.container is not None:
                Container.objects.filter(pk=locked.container.pk).update(access_until=now)
            logger.info(
                "exam submitted: attempt=%s user=%s auto=%s",
                locked.pk,
                locked.user_id,
                locked.auto_submitted,
            )
    return grade_attempt(attempt.pk, language=language)


def grade_attempt(attempt_id, *, wait=True, language=None):
    """Grade an attempt that waits to be graded; return it. Any other attempt is returned as is.

    language is the LABSITE_LANG of the check scripts, from
    checks.check_language; None gives the student's preferred language.
    With wait=False an attempt that another process is grading right now is
    skipped and None is returned. On an SSH or LXD failure the attempt gets
    status error and the upkeep process tries again later.
    """
    # Terminals close before the row lock is taken: closing one writes its
    # recording's end from another thread, which on SQLite would wait for
    # this transaction's write lock.
    waiting = (
        ExamAttempt.objects.filter(pk=attempt_id, status__in=WAITING_TO_BE_GRADED)
        .select_related("container")
        .first()
    )
    if waiting is not None and waiting.container is not None:
        _close_terminals(waiting.container)
    try:
        with transaction.atomic():
            attempt = _lock(attempt_id, skip_locked=not wait)
            if attempt is None or attempt.status not in WAITING_TO_BE_GRADED:
                return attempt
            _grade_locked(attempt, language or checks.check_language(attempt.user))
    except ContainerError as error:
        _record_failure(attempt_id, error)
        return ExamAttempt.objects.get(pk=attempt_id)
    _remove_container(attempt)
    return attempt


def _grade_locked(attempt, language):
    container = attempt.container
    if container is None or container.status in (Status.DELETING, Status.DELETED):
        message = _(
            "The attempt's container is gone, so it cannot be graded. An instructor can "
            "regrade it from its snapshot."
        )
        raise ContainerError(message)
    if container.status != Status.RUNNING:
        container_services.start_container(container)
    container_services.end_student_processes(container)
    if not lxd.snapshot_exists(container.name, SNAPSHOT):
        lxd.create_snapshot(container.name, SNAPSHOT)

    tasks = list(attempt.exam.tasks.all())
    scripts = [task.check_script for task in tasks]
    outcomes = checks.run_checks(container, scripts, language=language)
    _store_round(attempt, tasks, outcomes, round_number=attempt.round + 1)
    logger.info(
        "exam graded: attempt=%s user=%s round=%d score=%s/%s",
        attempt.pk,
        attempt.user_id,
        attempt.round,
        attempt.score,
        attempt.max_score,
    )


def _store_round(attempt, tasks, outcomes, *, round_number):
    """Store one result per task and the attempt's score for a grading round."""
    now = timezone.now()
    results = [
        ExamTaskResult(
            attempt=attempt,
            task=task,
            round=round_number,
            passed=outcome.passed,
            points_awarded=task.points if outcome.passed else 0,
            feedback=outcome.feedback,
            graded_at=now,
        )
        for task, outcome in zip(tasks, outcomes, strict=True)
    ]
    ExamTaskResult.objects.bulk_create(results)
    attempt.score = sum(result.points_awarded for result in results)
    attempt.max_score = sum(task.points for task in tasks)
    attempt.percent = percent_of(attempt.score, attempt.max_score)
    attempt.passed = attempt.percent >= attempt.exam.passing_score
    attempt.round = round_number
    attempt.status = AttemptStatus.GRADED
    attempt.graded_at = now
    attempt.grading_error = ""
    attempt.save()


def _record_failure(attempt_id, error):
    with transaction.atomic():
        attempt = _lock(attempt_id)
        if attempt.status not in WAITING_TO_BE_GRADED:
            return
        attempt.status = AttemptStatus.ERROR
        attempt.grading_failures += 1
        attempt.grading_error = str(error.message)
        attempt.grading_failed_at = timezone.now()
        attempt.save(
            update_fields=["status", "grading_failures", "grading_error", "grading_failed_at"]
        )
        if attempt.container is not None:
            # The container keeps the student's work until a grading succeeds.
            keep_until = attempt.grading_failed_at + timedelta(days=settings.EXAM_SNAPSHOT_DAYS)
            Container.objects.filter(pk=attempt.container.pk, expires_at__lt=keep_until).update(
                expires_at=keep_until
            )
    logger.warning(
        "exam grading failed: attempt=%s failures=%d: %s",
        attempt_id,
        attempt.grading_failures,
        error,
    )


def _close_terminals(container):
    async_to_sync(close_container_terminals)(container.pk, code=CLOSE_TIME_OVER)


def _remove_container(attempt):
    """Keep a copy of the graded container's snapshot and delete the container.

    A failure here is logged and left to the upkeep process: the grade is
    stored already.
    """
    container = attempt.container
    if container is None or container.status in (Status.DELETING, Status.DELETED):
        return
    try:
        if attempt.snapshot is None:
            archive = container_services.archive_snapshot(
                container, SNAPSHOT, days=settings.EXAM_SNAPSHOT_DAYS
            )
            ExamAttempt.objects.filter(pk=attempt.pk).update(snapshot=archive)
            attempt.snapshot = archive
        container_services.delete_container(container)
    except ContainerError:
        logger.exception(
            "exam container clean-up failed: attempt=%s container=%s", attempt.pk, container.name
        )


def retry_grading(attempt):
    """Let the upkeep process grade a failed attempt again, with its failure count reset."""
    updated = ExamAttempt.objects.filter(pk=attempt.pk, status=AttemptStatus.ERROR).update(
        grading_failures=0, grading_failed_at=None
    )
    if not updated:
        raise AttemptClosed(_("Only an attempt whose grading failed can be graded again."))
    logger.info("exam grading retry requested: attempt=%s", attempt.pk)


def finish_graded(attempt):
    """Remove the container of a graded attempt whose clean-up failed before."""
    _remove_container(attempt)


def regrade_attempt(*, attempt, requested_by):
    """Grade a copy of the attempt's snapshot with the exam's current check scripts.

    The scripts get the student's preferred language as LABSITE_LANG, not
    the language of the instructor who requested the regrade.

    The results of earlier rounds stay; the attempt's score becomes the new
    one and an ExamRegrade row keeps both.

    NOTE: the snapshot holds the disk only, and the copy boots afresh, so
    checks of running processes see the enabled services, not those that
    ran at submission. Raises AttemptClosed when the
    attempt is not graded or has no snapshot, and ContainerError on SSH or
    LXD failures, with nothing stored.
    """
    attempt = ExamAttempt.objects.select_related("snapshot", "exam", "user").get(pk=attempt.pk)
    if attempt.status != AttemptStatus.GRADED:
        raise AttemptClosed(_("Only a graded attempt can be regraded."))
    snapshot = attempt.snapshot
    if snapshot is None or snapshot.status != Status.STOPPED:
        raise AttemptClosed(
            _("This attempt has no snapshot any more (snapshots are kept %(days)d days).")
            % {"days": settings.EXAM_SNAPSHOT_DAYS}
        )

    copy = container_services.start_copy(snapshot, owner=attempt.user, kind=Kind.EXAM)
    try:
        tasks = list(attempt.exam.tasks.all())
        scripts = [task.check_script for task in tasks]
        outcomes = checks.run_checks(copy, scripts, language=checks.check_language(attempt.user))
        with transaction.atomic():
            locked = _lock(attempt.pk)
            if locked.round != attempt.round:
                # Two regrades ran at once and the other stored its round first.
                raise AttemptClosed(_("Another regrade of this attempt finished first."))
            old_score, old_percent = locked.score, locked.percent
            _store_round(locked, tasks, outcomes, round_number=locked.round + 1)
            ExamRegrade.objects.create(
                attempt=locked,
                round=locked.round,
                requested_by=requested_by,
                old_score=old_score,
                new_score=locked.score,
                old_percent=old_percent,
                new_percent=locked.percent,
            )
    finally:
        container_services.delete_container(copy)
    logger.info(
        "exam regraded: attempt=%s round=%d score %s -> %s by user %s",
        locked.pk,
        locked.round,
        old_score,
        locked.score,
        getattr(requested_by, "pk", None),
    )
    return locked


def extend_attempt(*, attempt, minutes):
    """Move the deadline of an attempt in progress later by minutes; return the attempt.

    The exam's window does not cap an extension.
    """
    if minutes < 1:
        raise AttemptClosed(_("An extension must be at least one minute."))
    with transaction.atomic():
        locked = _lock(attempt.pk)
        if locked.status != AttemptStatus.IN_PROGRESS:
            raise AttemptClosed(_("Only an attempt in progress can get more time."))
        # An attempt past its deadline that the upkeep process has not yet
        # submitted gets the minutes from now on.
        locked.deadline = max(locked.deadline, timezone.now()) + timedelta(minutes=minutes)
        locked.extra_minutes += minutes
        locked.save(update_fields=["deadline", "extra_minutes"])
        if locked.container is not None:
            _give_access_until(locked.container, locked.deadline)
    logger.info(
        "exam attempt extended: attempt=%s by %d minutes, deadline %s",
        locked.pk,
        minutes,
        locked.deadline.isoformat(),
    )
    return locked
