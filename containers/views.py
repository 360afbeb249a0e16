"""Sandbox page. Each action runs its LXD work in a thread and returns the panel."""

import logging

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from containers import services
from containers.errors import ContainerError
from containers.selectors import get_container_for_user, sandbox_of
from containers.workers import run_blocking

logger = logging.getLogger(__name__)


def _render_panel(request, sandbox, error=None):
    template = "containers/sandbox.html#panel" if request.htmx else "containers/sandbox.html"
    return render(request, template, {"sandbox": sandbox, "error": error})


async def _run_action(request, action, *args):
    """Run a service in a thread; return the panel, with the error in words if it failed."""
    error = None
    try:
        await run_blocking(action, *args)
    except ContainerError as failure:
        user = await request.auser()
        logger.warning(
            "sandbox action %s failed for user %s: %s", action.__name__, user.pk, failure
        )
        error = failure.message
    sandbox = await sync_to_async(sandbox_of)(request.user)
    if not request.htmx and error is None:
        return redirect("containers:sandbox")
    return await sync_to_async(_render_panel)(request, sandbox, error)


@login_required
@require_GET
async def sandbox_page(request):
    sandbox = await sync_to_async(sandbox_of)(request.user)

    return await sync_to_async(_render_panel)(request, sandbox)


@login_required
@require_POST
async def create_sandbox(request):
    user = await request.auser()

    return await _run_action(request, lambda: services.get_or_create_sandbox(owner=user))


def _container_action(service):
    """Return a view that applies service to one of the user's containers."""

    @login_required
    @require_POST
    async def view(request, container_id):
        user = await request.auser()
        container = await sync_to_async(get_container_for_user)(user, container_id)

        return await _run_action(request, service, container)

    view.__name__ = f"{service.__name__}_view"
    return view


stop_sandbox = _container_action(services.stop_container)
start_sandbox = _container_action(services.start_container)
reset_sandbox = _container_action(services.reset_sandbox)
delete_sandbox = _container_action(services.delete_container)
