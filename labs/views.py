import logging

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from containers import checks
from containers.errors import ContainerError
from containers.workers import run_blocking
from labs import selectors, services

logger = logging.getLogger(__name__)


@login_required
@require_GET
def lab_list(request):
    labs = list(selectors.active_labs())

    attempts = selectors.attempts_by_lab(request.user)
    for lab in labs:
        lab.my_attempt = attempts.get(lab.pk)
    return render(request, "labs/lab_list.html", {"labs": labs})


def _workspace_context(lab, attempt, error=None):
    rows = selectors.task_rows(attempt) if attempt else []
    return {"lab": lab, "attempt": attempt, "rows": rows, "error": error}


@login_required
@require_GET
def lab_detail(request, slug):
    lab = selectors.get_active_lab(slug=slug)

    attempt = selectors.open_attempt(request.user, lab)
    if attempt is not None:
        attempt = selectors.get_attempt_for_user(request.user, attempt.pk)
    return render(request, "labs/lab_detail.html", _workspace_context(lab, attempt))


@login_required
@require_POST
async def start_lab(request, slug):
    user = await request.auser()
    lab = await sync_to_async(selectors.get_active_lab)(slug=slug)

    try:
        await run_blocking(services.start_lab, user=user, lab=lab)
    except ContainerError as failure:
        context = _workspace_context(lab, None, error=failure.message)
        return await sync_to_async(render)(request, "labs/lab_detail.html", context)

    return redirect("labs:detail", slug=lab.slug)


async def _render_tasks(request, attempt_id, error=None):
    user = await request.auser()
    attempt = await sync_to_async(selectors.get_attempt_for_user)(user, attempt_id)
    context = _workspace_context(attempt.lab, attempt, error=error)
    template = "labs/lab_detail.html#tasks" if request.htmx else "labs/lab_detail.html"
    return await sync_to_async(render)(request, template, context)


@login_required
@require_POST
async def check_attempt(request, attempt_id, task_id=None):
    """Check one task (task_id) or all tasks, then show the task list with results."""
    user = await request.auser()
    attempt = await sync_to_async(selectors.get_attempt_for_user)(user, attempt_id)
    tasks = None
    if task_id is not None:
        tasks = [task for task in attempt.lab.tasks.all() if task.pk == task_id]

    language = checks.check_language(attempt.user, requester=user)

    error = None
    try:
        await run_blocking(services.check_tasks, attempt=attempt, tasks=tasks, language=language)
    except ContainerError as failure:
        logger.warning("lab check failed: attempt=%s: %s", attempt.pk, failure)
        error = failure.message

    return await _render_tasks(request, attempt.pk, error)


@login_required
@require_POST
def show_hint(request, attempt_id, task_id):
    attempt = selectors.get_attempt_for_user(request.user, attempt_id)
    task = next((task for task in attempt.lab.tasks.all() if task.pk == task_id), None)
    if task is None:
        raise Http404

    services.use_hint(attempt=attempt, task=task)

    attempt = selectors.get_attempt_for_user(request.user, attempt_id)
    context = _workspace_context(attempt.lab, attempt)
    template = "labs/lab_detail.html#tasks" if request.htmx else "labs/lab_detail.html"
    return render(request, template, context)


@login_required
@require_POST
async def restart_lab(request, attempt_id):
    user = await request.auser()
    attempt = await sync_to_async(selectors.get_attempt_for_user)(user, attempt_id)

    try:
        await run_blocking(services.restart_lab, attempt=attempt)
    except ContainerError as failure:
        context = _workspace_context(attempt.lab, attempt, error=failure.message)
        return await sync_to_async(render)(request, "labs/lab_detail.html", context)

    return redirect("labs:detail", slug=attempt.lab.slug)


@login_required
@require_POST
async def leave_lab(request, attempt_id):
    user = await request.auser()
    attempt = await sync_to_async(selectors.get_attempt_for_user)(user, attempt_id)

    await run_blocking(services.leave_lab, attempt=attempt)

    return redirect("labs:list")
