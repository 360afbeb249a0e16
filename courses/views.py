import mimetypes

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from containers import selectors as container_selectors
from containers import services as container_services
from containers.errors import ContainerError
from containers.models import Status
from containers.workers import run_blocking
from courses import selectors, services, sync

# Repository files that lesson pages may show. SVG is left out: it can carry script.
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}


@login_required
@require_GET
def module_list(request):
    modules = selectors.modules_with_percent(request.user)

    return render(request, "courses/module_list.html", {"modules": modules})


@login_required
@require_GET
def module_detail(request, module_id):
    module, done = selectors.module_with_progress(module_id, request.user)

    context = {"module": module, "done": done, "percent": module.percent}
    return render(request, "courses/module_detail.html", context)


@login_required
@require_GET
def theme_detail(request, theme_id):
    theme = selectors.get_lesson(theme_id)

    previous, following = selectors.neighbours(theme)
    context = {
        "theme": theme,
        "previous": previous,
        "following": following,
        "done": bool(selectors.done_theme_ids(request.user, [theme.pk])),
        "sandbox": container_selectors.sandbox_of(request.user),
    }
    return render(request, "courses/theme_detail.html", context)


@login_required
@require_POST
def complete_theme(request, theme_id):
    theme = selectors.get_theme(theme_id)

    services.complete_theme(user=request.user, theme=theme)

    if request.htmx:
        return render(
            request, "courses/theme_detail.html#done-button", {"theme": theme, "done": True}
        )
    return redirect("courses:theme", theme_id=theme.pk)


def _ensure_running_sandbox(user):
    sandbox, _created = container_services.get_or_create_sandbox(owner=user)
    if sandbox.status == Status.STOPPED:
        container_services.start_container(sandbox)
    return sandbox


@login_required
@require_POST
async def open_terminal(request):
    """Create or start the student's sandbox, then return the terminal panel."""
    user = await request.auser()

    error = None
    sandbox = None
    try:
        sandbox = await run_blocking(_ensure_running_sandbox, user)
    except ContainerError as failure:
        error = failure.message

    context = {"sandbox": sandbox, "error": error}
    return await sync_to_async(render)(request, "courses/_terminal_panel.html", context)


@login_required
@require_GET
def repository_file(request, path):
    """Serve an image from the lessons repository checkout."""
    file = sync.checkout_file(path)
    if file is None or file.suffix.lower() not in IMAGE_TYPES:
        raise Http404

    content_type, _encoding = mimetypes.guess_type(file.name)
    response = FileResponse(file.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
