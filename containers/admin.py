import logging

from csp.decorators import csp_update
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from containers import services
from containers.errors import ContainerError
from containers.models import Container, ContainerEvent, TerminalRecording
from containers.recording import recording_file

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

    @admin.action(description=_("Stop selected containers"), permissions=["change"])
    def stop_containers(self, request, queryset):
        self._apply(request, queryset.filter(status="running"), services.stop_container)

    @admin.action(description=_("Delete selected containers in LXD"), permissions=["change"])
    def delete_containers(self, request, queryset):
        self._apply(request, queryset.live(), services.delete_container)

    def _apply(self, request, queryset, action):
        for container in queryset:
            try:
                action(container)
            except ContainerError as error:
                logger.warning("admin action on container %s failed: %s", container.name, error)
                self.message_user(request, f"{container.name}: {error.message}", messages.ERROR)


@admin.register(TerminalRecording)
class TerminalRecordingAdmin(admin.ModelAdmin):
    list_display = ["container", "owner", "started_at", "ended_at", "replay_link"]
    list_filter = ["started_at"]
    search_fields = ["container__name", "container__owner__username"]
    list_select_related = ["container__owner"]
    readonly_fields = ["container", "path", "started_at", "ended_at", "replay_link"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("owner"))
    def owner(self, recording):
        return recording.container.owner

    @admin.display(description=_("replay"))
    def replay_link(self, recording):
        url = reverse("admin:containers_terminalrecording_replay", args=[recording.pk])
        return format_html('<a href="{}">{}</a>', url, _("Replay"))

    def get_urls(self):
        return [
            path(
                "<int:recording_id>/replay/",
                # asciinema-player decodes the recording in WebAssembly.
                self.admin_site.admin_view(
                    csp_update({"script-src": ["'wasm-unsafe-eval'"]})(self.replay_view)
                ),
                name="containers_terminalrecording_replay",
            ),
            path(
                "<int:recording_id>/cast/",
                self.admin_site.admin_view(self.cast_view),
                name="containers_terminalrecording_cast",
            ),
            *super().get_urls(),
        ]

    def _recording(self, request, recording_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            TerminalRecording.objects.select_related("container__owner"), pk=recording_id
        )

    def replay_view(self, request, recording_id):
        recording = self._recording(request, recording_id)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Replay of %(recording)s") % {"recording": recording},
            "recording": recording,
            "opts": self.model._meta,
            "cast_url": reverse("admin:containers_terminalrecording_cast", args=[recording.pk]),
        }
        return TemplateResponse(request, "admin/containers/recording_replay.html", context)

    def cast_view(self, request, recording_id):
        recording = self._recording(request, recording_id)
        try:
            handle = recording_file(recording).open("rb")
        except FileNotFoundError as error:
            raise Http404(_("The recording file is missing.")) from error
        return FileResponse(handle, content_type="application/x-asciicast")
