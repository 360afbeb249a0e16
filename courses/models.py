from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.rendering import render_markdown


class Module(models.Model):
    """A course module: the top level of lesson content, made of sections."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    description = models.TextField(_("description"), blank=True)
    source_path = models.CharField(
        _("source path"),
        max_length=300,
        blank=True,
        help_text=_("Folder in the lessons repository; empty for content made in admin."),
    )

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["order", "id"]

    def __str__(self):
        return self.title


class Section(models.Model):
    module = models.ForeignKey(
        Module, on_delete=models.CASCADE, related_name="sections", verbose_name=_("module")
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=0)
    description = models.TextField(_("description"), blank=True)
    source_path = models.CharField(_("source path"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["module", "slug"], name="section_slug_unique_in_module")
        ]

    def __str__(self):
        return self.title


class Theme(models.Model):
    """One lesson page."""

    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="themes", verbose_name=_("section")
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=0)
    description = models.TextField(_("description"), blank=True)
    source = models.TextField(_("Markdown source"), blank=True)
    html = models.TextField(_("rendered HTML"), blank=True, editable=False)
    source_path = models.CharField(_("source path"), max_length=300, blank=True)
    commit = models.CharField(_("commit"), max_length=40, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["section", "slug"], name="theme_slug_unique_in_section")
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.html = render_markdown(self.source, source_path=self.source_path)
        super().save(*args, **kwargs)


class ThemeProgress(models.Model):
    """A student marked a theme as done."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="theme_progress"
    )
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="progress")
    completed_at = models.DateTimeField(_("completed"), default=timezone.now)

    class Meta:
        verbose_name = _("theme progress")
        verbose_name_plural = _("theme progress")
        constraints = [
            models.UniqueConstraint(fields=["user", "theme"], name="theme_progress_once")
        ]

    def __str__(self):
        return f"{self.user}: {self.theme}"


class LessonSync(models.Model):
    """One run of the lesson sync from git, with what it found wrong."""

    class Result(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("Synced")
        PARTIAL = "partial", _("Synced with problems")
        FAILED = "failed", _("Failed")

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    commit = models.CharField(_("commit"), max_length=40, blank=True)
    result = models.CharField(
        _("result"), max_length=10, choices=Result.choices, default=Result.RUNNING
    )
    # A list of {"path": ..., "message": ...}; path is empty for repository-wide errors.
    problems = models.JSONField(_("problems"), default=list, blank=True)
    changed = models.PositiveIntegerField(_("files rendered"), default=0)
    removed = models.PositiveIntegerField(_("themes removed"), default=0)

    class Meta:
        verbose_name = _("lesson sync")
        verbose_name_plural = _("lesson syncs")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.get_result_display()}"
