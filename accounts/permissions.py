from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class IsActiveUser(BasePermission):
    """Allow signed-in, active users. The API's default permission."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_active)


class IsPlatformAdmin(IsActiveUser):
    message = _("Only administrators may use this endpoint.")

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.is_admin
