from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from labsite.dashboard import dashboard_for


@require_safe
def home(request):
    """Show a signed-in user's dashboard, or the landing page to a visitor."""
    if not request.user.is_authenticated:
        return render(request, "labsite/home.html")

    dashboard = dashboard_for(request.user)
    return render(request, "labsite/home.html", {"dashboard": dashboard})


def api_not_found(request):
    """Return a JSON 404 in the API's error shape for an unknown /api/ address."""
    message = _("There is no API endpoint at %(path)s. The list is at /api/docs/.") % {
        "path": request.path
    }
    return JsonResponse({"detail": message, "code": "not_found"}, status=404)
