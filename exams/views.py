"""Exam pages: the list, an exam's rules and Start, the attempt with its terminal, results."""

import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from containers import checks
from containers.errors import ContainerError
from containers.workers import run_blocking
from exams import selectors, services
from exams.models import AttemptStatus, ExamAttempt

logger = logging.getLogger(__name__)

# Minutes left at which the exam page warns that time runs short.
WARNING_MINUTES = [30, 15, 5]


def _redirect(request, to, **kwargs):
    """Redirect to a page. An HTMX request gets HX-Redirect: htmx would swap a 302's page in."""
    url = resolve_url(to, **kwargs)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _add_attempt_links(user, exams):
    """Set attempts_left, running and latest (the newest finished attempt) on each exam."""
    attempts = ExamAttempt.objects.filter(user=user, exam__in=exams).order_by("-started_at")
    running = {}
    latest = {}
    for attempt in attempts:
        if attempt.is_in_progress:
            running.setdefault(attempt.exam_id, attempt)
        else:
            latest.setdefault(attempt.exam_id, attempt)
    for exam in exams:
        exam.attempts_left = max(0, exam.max_attempts - exam.attempts_used)
        exam.running = running.get(exam.pk)
        exam.latest = latest.get(exam.pk)


@login_required
@require_GET
def exam_list(request):
    exams = list(selectors.active_exams_for(request.user))

    _add_attempt_links(request.user, exams)
    return render(request, "exams/exam_list.html", {"exams": exams})


def _detail_context(user, exam, error=None):
    attempts = selectors.attempts_of(user, exam)
    running = next((attempt for attempt in attempts if attempt.is_in_progress), None)
    reason = None
    try:
        services.check_can_start(user, exam)
    except services.AttemptRunning:
        pass  # the page links to the running attempt instead of Start
    except services.ExamUnavailable as refusal:
        reason = refusal.message
    exam.attempts_left = max(0, exam.max_attempts - len(attempts))
    return {
        "exam": exam,
        "tasks": selectors.visible_tasks(exam),
        "attempts": [attempt for attempt in reversed(attempts) if not attempt.is_in_progress],
        "running": running,
        "reason": reason,
        "error": error,
    }


@login_required
@require_GET
def exam_detail(request, slug):
    exam = selectors.get_active_exam(request.user, slug=slug)

    return render(request, "exams/exam_detail.html", _detail_context(request.user, exam))


@login_required
@require_POST
async def start_exam(request, slug):
    user = await request.auser()
    exam = await sync_to_async(selectors.get_active_exam)(user, slug=slug)

    try:
        attempt = await run_blocking(services.start_exam, user=user, exam=exam)
    except services.AttemptRunning as running:
        return redirect("exams:attempt", attempt_id=running.attempt.pk)
    except services.ExamUnavailable as refusal:
        error = refusal.message
    except ContainerError as failure:
        logger.warning("exam start failed: exam=%s user=%s: %s", exam.slug, user.pk, failure)
        error = failure.message
    else:
        return redirect("exams:attempt", attempt_id=attempt.pk)

    context = await sync_to_async(_detail_context)(user, exam, error=error)
    return await sync_to_async(render)(request, "exams/exam_detail.html", context)


def _clock(seconds):
    """Format seconds as the countdown shows them: h:mm:ss, or m:ss under an hour."""
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


def _time_warnings():
    """Return (seconds left, message) pairs for the countdown's warnings."""
    return [
        (
            minutes * 60,
            ngettext(
                "Less than %(count)d minute left. When the time is over, the terminal closes "
                "and your work is graded as it is.",
                "Less than %(count)d minutes left. When the time is over, the terminal closes "
                "and your work is graded as it is.",
                minutes,
            )
            % {"count": minutes},
        )
        for minutes in WARNING_MINUTES
    ]


@login_required
@require_GET
def attempt_page(request, attempt_id):
    """Show an attempt in progress, or redirect to the results of a submitted one.

    An HTMX request is the poll that starts when the time is over. It gets
    the time-over notice again, or a reload of the page when the deadline
    has moved later because an instructor granted more time.
    """
    attempt = selectors.get_attempt_for_user(request.user, attempt_id)

    if not attempt.is_in_progress:
        return _redirect(request, "exams:results", attempt_id=attempt.pk)
    seconds_left = attempt.seconds_left()
    if request.htmx and seconds_left > 0:
        return HttpResponseClientRefresh()

    context = {
        "attempt": attempt,
        "exam": attempt.exam,
        "tasks": attempt.exam.tasks.all(),
        # Admins may look at a student's attempt, but only its student types and submits.
        "is_owner": attempt.user_id == request.user.pk,
        "seconds_left": seconds_left,
        "clock": _clock(seconds_left),
        "warnings": _time_warnings(),
    }
    template = "exams/attempt.html#time-over" if request.htmx else "exams/attempt.html"
    return render(request, template, context)


@login_required
@require_POST
async def submit_exam(request, attempt_id):
    user = await request.auser()
    attempt = await sync_to_async(selectors.get_attempt_for_user)(user, attempt_id)
    if attempt.user_id != user.pk:
        raise Http404

    language = checks.check_language(user, requester=user)
    await run_blocking(services.submit_attempt, attempt=attempt, language=language)

    return redirect("exams:results", attempt_id=attempt.pk)


@login_required
@require_GET
def attempt_results(request, attempt_id):
    attempt = selectors.get_attempt_for_user(request.user, attempt_id)

    if attempt.is_in_progress and attempt.seconds_left() > 0:
        return _redirect(request, "exams:attempt", attempt_id=attempt.pk)
    graded = attempt.status == AttemptStatus.GRADED
    retries_over = (
        attempt.status == AttemptStatus.ERROR
        and attempt.grading_failures >= settings.EXAM_GRADING_MAX_FAILURES
    )
    context = {
        "attempt": attempt,
        "exam": attempt.exam,
        "rows": selectors.result_rows(attempt) if graded else [],
        "retries_over": retries_over,
        "polling": not graded and not retries_over,
    }
    template = "exams/results.html#results" if request.htmx else "exams/results.html"
    return render(request, template, context)
