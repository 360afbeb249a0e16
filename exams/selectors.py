from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from exams.models import AttemptStatus, Exam, ExamAttempt, ExamTaskResult


def active_exams_for(user):
    """Return active exams with the user's attempt count as attempts_used."""
    # Django leaves Meta.ordering out of queries with GROUP BY, so order here.
    return (
        Exam.objects.active()
        .annotate(attempts_used=Count("attempts", filter=Q(attempts__user=user)))
        .order_by("title", "id")
    )


def get_active_exam(user, exam_id=None, *, slug=None):
    exams = active_exams_for(user)
    try:
        return exams.get(pk=exam_id) if exam_id is not None else exams.get(slug=slug)
    except Exam.DoesNotExist as error:
        raise Http404 from error


def visible_tasks(exam, now=None):
    """Return the exam's tasks, or none before its window opens: task texts stay hidden."""
    if not exam.has_opened(now or timezone.now()):
        return []
    return list(exam.tasks.all())


def attempts_of(user, exam):
    return list(ExamAttempt.objects.filter(user=user, exam=exam).order_by("started_at"))


def running_attempt(user, exam):
    return (
        ExamAttempt.objects.filter(user=user, exam=exam, status=AttemptStatus.IN_PROGRESS)
        .select_related("container")
        .first()
    )


def get_attempt_for_user(user, attempt_id):
    """Return the user's attempt (any attempt for an admin) with its results, or raise Http404."""
    attempts = ExamAttempt.objects.select_related("exam", "container", "user")
    if not user.is_admin:
        attempts = attempts.filter(user=user)
    try:
        return attempts.prefetch_related(
            "exam__tasks",
            Prefetch("results", queryset=ExamTaskResult.objects.select_related("task")),
        ).get(pk=attempt_id)
    except ExamAttempt.DoesNotExist as error:
        raise Http404 from error


def result_rows(attempt):
    """Return (task, result or None) pairs of the attempt's current grading round."""
    results = {result.task_id: result for result in attempt.current_results()}
    return [(task, results.get(task.pk)) for task in attempt.exam.tasks.all()]
