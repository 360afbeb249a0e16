import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def name_prefix():
    """Return the prefix of every LXD instance name the platform makes.

    Reconciliation distinguishes the platform's instances from others in the LXD
    project by it. The rest of a name is random: no user name, no counter.
    """
    return settings.CONTAINER_NAME_PREFIX


def generate_name():
    return f"{name_prefix()}{secrets.token_hex(8)}"


class Kind(models.TextChoices):
    SANDBOX = "sandbox", _("Sandbox")
    LAB = "lab", _("Lab")
    EXAM = "exam", _("Exam")


class Status(models.TextChoices):
    CREATING = "creating", _("Creating")
    RUNNING = "running", _("Running")
    STOPPED = "stopped", _("Stopped")
    DELETING = "deleting", _("Deleting")
    DELETED = "deleted", _("Deleted")
    ERROR = "error", _("Error")


# Student pages call a container a sandbox or a machine, which are feminine
# in Russian (песочница, машина), while the admin's choices above describe a
# container (контейнер, masculine). The context gives the student pages
# their own translations.
SANDBOX_STATUS_LABELS = {
    Status.CREATING: pgettext_lazy("status of a sandbox or machine", "Creating"),
    Status.RUNNING: pgettext_lazy("status of a sandbox or machine", "Running"),
    Status.STOPPED: pgettext_lazy("status of a sandbox or machine", "Stopped"),
    Status.DELETING: pgettext_lazy("status of a sandbox or machine", "Deleting"),
    Status.DELETED: pgettext_lazy("status of a sandbox or machine", "Deleted"),
    Status.ERROR: pgettext_lazy("status of a sandbox or machine", "Error"),
}


# A row in one of these states has, or is about to have, an LXD instance.
LIVE_STATUSES = [Status.CREATING, Status.RUNNING, Status.STOPPED, Status.DELETING, Status.ERROR]


class ContainerQuerySet(models.QuerySet):
    def live(self):
        return self.filter(status__in=LIVE_STATUSES)


class Container(models.Model):
    """An LXD container the platform made for one user.

    Rows are kept after the instance is deleted (status "deleted"), so an
    LXD name is never handed out twice.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="containers",
        verbose_name=_("owner"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(
        _("LXD name"), max_length=63, unique=True, default=generate_name, editable=False
    )
    image = models.CharField(_("image"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CREATING
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    ip_address = models.GenericIPAddressField(
        _("IP address"), protocol="IPv4", null=True, blank=True
    )
    host_key = models.TextField(
        _("SSH host key"),
        blank=True,
        help_text=_("Recorded when the container is created and checked on every SSH connection."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    access_until = models.DateTimeField(
        _("terminal access until"),
        null=True,
        blank=True,
        help_text=_("After this time no terminal may connect (an exam's deadline). Empty: no end."),
    )
    error_message = models.TextField(_("error"), blank=True)

    objects = ContainerQuerySet.as_manager()

    class Meta:
        verbose_name = _("container")
        verbose_name_plural = _("containers")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(kind=Kind.SANDBOX) & Q(status__in=LIVE_STATUSES),
                name="one_live_sandbox_per_owner",
                violation_error_message=_("This user has a sandbox already."),
            ),
        ]
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self):
        return self.name

    @property
    def sandbox_status_label(self):
        """Status as student pages word it, where the container is a sandbox or a machine."""
        return str(SANDBOX_STATUS_LABELS[self.status])

    @property
    def is_running(self):
        return self.status == Status.RUNNING

    def access_ended(self, now=None):
        return self.access_until is not None and (now or timezone.now()) >= self.access_until


class ContainerEvent(models.Model):
    """One status change of a container, with its time: the container's history."""

    container = models.ForeignKey(
        Container, on_delete=models.CASCADE, related_name="events", verbose_name=_("container")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("container event")
        verbose_name_plural = _("container events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.container.name}: {self.status}"


class TerminalRecording(models.Model):
    """One terminal session on an exam container, recorded as an asciicast v2 file."""

    container = models.ForeignKey(
        Container,
        on_delete=models.CASCADE,
        related_name="recordings",
        verbose_name=_("container"),
    )
    path = models.CharField(_("file"), max_length=300, help_text=_("Path below RECORDINGS_ROOT."))
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("terminal recording")
        verbose_name_plural = _("terminal recordings")
        ordering = ["started_at", "id"]

    def __str__(self):
        return f"{self.container.name} {self.started_at:%Y-%m-%d %H:%M:%S}"
