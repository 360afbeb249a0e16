import logging

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from containers import services
from containers.errors import ContainerError
from containers.models import Container, ContainerEvent

logger = logging.getLogger(__name__)


class ContainerEventInline(admin.TabularInline):
    model = ContainerEvent
    extra = 0
    can_delete = False
    readonly_fields = ["status", "at", "message"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Container)
class ContainerAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "kind", "status", "status_changed_at", "last_activity_at"]
    list_filter = ["kind", "status"]
    search_fields = ["name", "owner__username", "owner__email"]
    readonly_fields = [
        "name",
        "owner",
        "kind",
        "image",
        "status",
        "status_changed_at",
        "ip_address",
        "host_key",
        "created_at",
        "last_activity_at",
        "expires_at",
        "error_message",
    ]
    inlines = [ContainerEventInline]
    actions = ["stop_containers", "delete_containers"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Rows stay as history; the action below deletes the LXD instance.
        return False

    @admin.action(description=_("Stop selected containers"))
    def stop_containers(self, request, queryset):
        self._apply(request, queryset.filter(status="running"), services.stop_container)

    @admin.action(description=_("Delete selected containers in LXD"))
    def delete_containers(self, request, queryset):
        self._apply(request, queryset.live(), services.delete_container)

    def _apply(self, request, queryset, action):
        for container in queryset:
            try:
                action(container)
            except ContainerError as error:
                logger.warning("admin action on container %s failed: %s", container.name, error)
                self.message_user(request, f"{container.name}: {error.message}", messages.ERROR)
