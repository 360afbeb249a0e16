from django.db.models import Prefetch
from django.http import Http404

from labs.models import AttemptStatus, Laboratory, LaboratoryAttempt, LaboratoryTaskResult


def active_labs():
    return Laboratory.objects.filter(is_active=True).select_related("module")


def get_active_lab(lab_id=None, *, slug=None):
    labs = active_labs().prefetch_related("tasks")
    try:
        return labs.get(pk=lab_id) if lab_id is not None else labs.get(slug=slug)
    except Laboratory.DoesNotExist as error:
        raise Http404 from error


def get_attempt_for_user(user, attempt_id):
    """Return the user's attempt (any attempt for an admin), or raise Http404."""
    attempts = LaboratoryAttempt.objects.select_related("lab", "container", "user")
    if not user.is_admin:
        attempts = attempts.filter(user=user)
    try:
        return attempts.prefetch_related(
            "lab__tasks", Prefetch("results", queryset=LaboratoryTaskResult.objects.all())
        ).get(pk=attempt_id)
    except LaboratoryAttempt.DoesNotExist as error:
        raise Http404 from error


def open_attempt(user, lab):
    return (
        LaboratoryAttempt.objects.filter(user=user, lab=lab, status=AttemptStatus.IN_PROGRESS)
        .select_related("container")
        .first()
    )


def task_rows(attempt):
    """Return (task, result or None) pairs in task order."""
    results = {result.task_id: result for result in attempt.results.all()}
    return [(task, results.get(task.pk)) for task in attempt.lab.tasks.all()]


def attempts_by_lab(user):
    """Return the user's newest attempt per lab, keyed by lab id."""
    newest = {}
    for attempt in LaboratoryAttempt.objects.filter(user=user).order_by("started_at"):
        newest[attempt.lab_id] = attempt
    return newest
