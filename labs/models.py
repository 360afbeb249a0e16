from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.rendering import render_markdown
from labs.translations import TRANSLATION_LANGUAGES, TranslatedText


class Laboratory(TranslatedText):
    """A hands-on lab: tasks done in a container and checked there by scripts."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    description_html = models.TextField(editable=False, blank=True)
    image = models.CharField(
        _("image"), max_length=200, blank=True, help_text=_("LXD image alias; empty for LXD_IMAGE.")
    )
    setup_script = models.TextField(
        _("setup script"),
        blank=True,
        help_text=_("Bash run as root in a new container before the student starts."),
    )
    module = models.ForeignKey(
        "courses.Module",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="labs",
        verbose_name=_("module"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("lab")
        verbose_name_plural = _("labs")
        ordering = ["order", "id"]

    def __str__(self):
        return self.title


class LaboratoryTask(TranslatedText):
    lab = models.ForeignKey(
        Laboratory, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("lab")
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    description_html = models.TextField(editable=False, blank=True)
    check_script = models.TextField(
        _("check script"),
        help_text=_(
            "Bash run as root in the student's container. Exit status 0 passes, unless a "
            "line 'FAIL' or 'FAIL: ...' is printed; the output is the student's feedback."
        ),
    )
    hint = models.TextField(_("hint"), blank=True, help_text=_("Markdown."))
    hint_uz = models.TextField(
        _("hint in Uzbek"), blank=True, help_text=_("Markdown. Empty: the original.")
    )
    hint_ru = models.TextField(
        _("hint in Russian"), blank=True, help_text=_("Markdown. Empty: the original.")
    )
    hint_html = models.TextField(editable=False, blank=True)
    hint_html_uz = models.TextField(editable=False, blank=True)
    hint_html_ru = models.TextField(editable=False, blank=True)
    solution_script = models.TextField(
        _("solution script"),
        blank=True,
        help_text=_("Bash run as root that solves the task; validation uses it."),
    )
    points = models.PositiveIntegerField(_("points"), default=1)

    class Meta:
        verbose_name = _("lab task")
        verbose_name_plural = _("lab tasks")
        ordering = ["order", "id"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.hint_html = render_markdown(self.hint)
        for code in TRANSLATION_LANGUAGES:
            setattr(self, f"hint_html_{code}", render_markdown(getattr(self, f"hint_{code}")))
        super().save(*args, **kwargs)

    @property
    def translated_hint(self):
        return self.translated("hint")

    @property
    def translated_hint_html(self):
        return self.translated("hint_html")


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    LEFT = "left", _("Left")


class LaboratoryAttempt(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="lab_attempts",
        verbose_name=_("user"),
    )
    lab = models.ForeignKey(
        Laboratory, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("lab")
    )
    container = models.ForeignKey(
        "containers.Container",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("container"),
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS
    )

    class Meta:
        verbose_name = _("lab attempt")
        verbose_name_plural = _("lab attempts")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "lab"],
                condition=Q(status="in_progress"),
                name="one_open_attempt_per_lab",
            )
        ]

    def __str__(self):
        return f"{self.user}: {self.lab}"


class LaboratoryTaskResult(models.Model):
    attempt = models.ForeignKey(
        LaboratoryAttempt,
        on_delete=models.CASCADE,
        related_name="results",
        verbose_name=_("attempt"),
    )
    task = models.ForeignKey(
        LaboratoryTask, on_delete=models.CASCADE, related_name="results", verbose_name=_("task")
    )
    passed = models.BooleanField(_("passed"), default=False)
    feedback = models.TextField(_("feedback"), blank=True)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    duration = models.FloatField(_("duration (s)"), null=True, blank=True)
    hint_used = models.BooleanField(_("hint used"), default=False)

    class Meta:
        verbose_name = _("lab task result")
        verbose_name_plural = _("lab task results")
        constraints = [
            models.UniqueConstraint(fields=["attempt", "task"], name="one_result_per_task")
        ]

    def __str__(self):
        outcome = _("passed") if self.passed else _("not passed")
        return f"{self.task}: {outcome}"
