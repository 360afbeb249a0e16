from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def home(request):
    return render(request, "labsite/home.html")


def api_not_found(request):
    """Return a JSON 404 in the API's error shape for an unknown /api/ address."""
    message = _("There is no API endpoint at %(path)s. The list is at /api/docs/.") % {
        "path": request.path
    }
    return JsonResponse({"detail": message, "code": "not_found"}, status=404)
