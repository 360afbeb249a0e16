from django.conf import settings
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect


class HtmxLoginRedirectMiddleware:
    """Turn a redirect to the login page into a full-page redirect for HTMX.

    Without this, an HTMX request made after the session expired follows the
    302 and swaps the login form into a fragment of the page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.status_code != 302:
            return response
        login_path = resolve_url(settings.LOGIN_URL)
        if response["Location"].split("?", 1)[0] != login_path:
            return response
        return HttpResponseClientRedirect(response["Location"])
