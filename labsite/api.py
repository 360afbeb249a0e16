"""The API's single error body shape and its exception handler.

Every error from /api/ has the body
    {"detail": "<message for people>", "code": "<stable code>", "fields": {...}}
where "fields" maps a request field to its list of messages and is present
only for validation errors.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from containers.errors import ContainerError

logger = logging.getLogger(__name__)


def _first_code(codes):
    while isinstance(codes, (list, dict)):
        if not codes:
            return "error"
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return str(codes)


def error_body(detail, code, fields=None):
    body = {"detail": str(detail), "code": code}
    if fields is not None:
        body["fields"] = fields
    return body


def exception_handler(exc, context):
    if isinstance(exc, ContainerError):
        # The LXD host or a container failed: the request may work later.
        logger.warning("container layer error in %s: %s", context["view"].__class__.__name__, exc)
        return Response(
            error_body(exc.message, exc.code), status=status.HTTP_503_SERVICE_UNAVAILABLE
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(
            _("The request has invalid fields. Correct them and send it again."),
            "invalid",
            fields,
        )
        return response

    detail = exc.detail
    code = _first_code(exc.get_codes())
    # simplejwt puts a dict with its own "detail" and "code" into its errors.
    if isinstance(detail, dict):
        code = str(detail.get("code", code))
        detail = detail.get("detail", _("The request failed."))
    response.data = error_body(detail, code)
    return response
