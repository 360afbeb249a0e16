"""Writes of the labs app: starting, checking, hints, restarting and leaving.

These functions block on LXD and SSH; async views run them in a thread.
"""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from containers import checks
from containers import services as container_services
from containers.errors import ContainerError
from containers.models import Kind
from labs.models import AttemptStatus, LaboratoryAttempt, LaboratoryTaskResult

logger = logging.getLogger(__name__)


def _create_lab_container(user, lab):
    return container_services.create_prepared_container(
        owner=user,
        kind=Kind.LAB,
        image=lab.image or settings.LXD_IMAGE,
        setup_script=lab.setup_script,
    )


def start_lab(*, user, lab):
    """Return the user's open attempt at the lab, starting one with a new container if needed."""
    attempt = LaboratoryAttempt.objects.filter(
        user=user, lab=lab, status=AttemptStatus.IN_PROGRESS
    ).first()
    if attempt is not None:
        return attempt

    container = _create_lab_container(user, lab)
    try:
        attempt = LaboratoryAttempt.objects.create(user=user, lab=lab, container=container)
    except IntegrityError:
        # Another request started the lab meanwhile: keep that attempt.
        container_services.delete_container(container)
        return LaboratoryAttempt.objects.get(user=user, lab=lab, status=AttemptStatus.IN_PROGRESS)
    logger.info("lab started: lab=%s user=%s attempt=%s", lab.slug, user.pk, attempt.pk)
    return attempt


def check_tasks(*, attempt, tasks=None, language=None):
    """Run the check scripts of tasks (all by default) and store their results.

    language is the LABSITE_LANG of the scripts, from checks.check_language;
    None gives the student's preferred language. The attempt's row stays
    locked while the checks run, so two Check clicks on one attempt run one
    after the other, never at once. On an SSH or LXD failure nothing is
    stored and the error is raised; the attempt stays open and the check can
    be repeated.
    """
    with transaction.atomic():
        attempt = (
            LaboratoryAttempt.objects.select_for_update(of=("self",))
            .select_related("container", "lab", "user")
            .get(pk=attempt.pk)
        )
        if attempt.status != AttemptStatus.IN_PROGRESS or attempt.container is None:
            raise ContainerError(_("This lab attempt is closed. Start the lab again to continue."))
        tasks = list(tasks if tasks is not None else attempt.lab.tasks.all())
        language = language or checks.check_language(attempt.user)

        outcomes = checks.run_checks(
            attempt.container, [task.check_script for task in tasks], language=language
        )

        now = timezone.now()
        for task, outcome in zip(tasks, outcomes, strict=True):
            LaboratoryTaskResult.objects.update_or_create(
                attempt=attempt,
                task=task,
                defaults={
                    "passed": outcome.passed,
                    "feedback": outcome.feedback,
                    "checked_at": now,
                    "duration": outcome.duration,
                },
            )
        _complete_if_done(attempt, now)
    logger.info(
        "lab checked: attempt=%s tasks=%d passed=%d",
        attempt.pk,
        len(tasks),
        sum(outcome.passed for outcome in outcomes),
    )
    return attempt


def _complete_if_done(attempt, now):
    task_count = attempt.lab.tasks.count()
    passed = attempt.results.filter(passed=True).count()
    if task_count and passed == task_count:
        attempt.status = AttemptStatus.COMPLETED
        attempt.finished_at = now
        attempt.save(update_fields=["status", "finished_at"])
        logger.info("lab completed: attempt=%s user=%s", attempt.pk, attempt.user_id)


def use_hint(*, attempt, task):
    result, _created = LaboratoryTaskResult.objects.get_or_create(attempt=attempt, task=task)
    if not result.hint_used:
        result.hint_used = True
        result.save(update_fields=["hint_used"])
    return result


def restart_lab(*, attempt):
    """Give the attempt a fresh container from the image; earlier results are cleared."""
    old = attempt.container
    container = _create_lab_container(attempt.user, attempt.lab)
    attempt.container = container
    attempt.save(update_fields=["container"])
    attempt.results.all().delete()
    if old is not None:
        container_services.delete_container(old)
    logger.info("lab restarted: attempt=%s", attempt.pk)
    return attempt


def leave_lab(*, attempt):
    """Close the attempt and remove its container; a completed attempt stays completed."""
    if attempt.status == AttemptStatus.IN_PROGRESS:
        attempt.status = AttemptStatus.LEFT
        attempt.finished_at = timezone.now()
        attempt.save(update_fields=["status", "finished_at"])
    if attempt.container is not None and attempt.container.status != "deleted":
        container_services.delete_container(attempt.container)
    logger.info("lab left: attempt=%s status=%s", attempt.pk, attempt.status)
    return attempt
