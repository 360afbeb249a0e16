from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.languages import translation_languages
from courses.rendering import render_markdown


def translation_language_choices():
    names = dict(settings.LANGUAGES)
    return [(code, names[code]) for code in translation_languages()]


class TranslatedMetadata:
    """The translations field of a module or section, filled from module.LANG.yaml files.

    Its value is {"ru": {"title": "...", "description": "..."}, ...}, keyed by
    language code; the lesson sync writes it.
    """

    def translated(self, language):
        """Return (title, description) in language, or the original's when it has none."""
        translation = self.translations.get(language)
        if not translation:
            return self.title, self.description
        return translation["title"], translation.get("description", "")


class Module(TranslatedMetadata, models.Model):
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
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["order", "id"]

    def __str__(self):
        return self.title


class Section(TranslatedMetadata, models.Model):
    module = models.ForeignKey(
        Module, on_delete=models.CASCADE, related_name="sections", verbose_name=_("module")
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=0)
    description = models.TextField(_("description"), blank=True)
    source_path = models.CharField(_("source path"), max_length=300, blank=True)
    translations = models.JSONField(_("translations"), default=dict, blank=True)

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
    # Time of the newest git commit that changed source_path, which decides
    # whether a translation is outdated; empty for themes made in the admin.
    source_committed_at = models.DateTimeField(_("file last committed"), null=True, blank=True)
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

    def translation_statuses(self):
        """Return {language: TranslationStatus} for every translation language.

        Reads self.translations.all(), so prefetch it when listing themes.
        """
        found = {translation.language: translation for translation in self.translations.all()}
        statuses = {}
        for language in translation_languages():
            translation = found.get(language)
            if translation is None:
                statuses[language] = TranslationStatus.MISSING
                continue
            translation.theme = self  # is_outdated reads it; this saves a query
            statuses[language] = (
                TranslationStatus.OUTDATED
                if translation.is_outdated
                else TranslationStatus.TRANSLATED
            )
        return statuses


class TranslationStatus(models.TextChoices):
    """The relation between the lesson text shown to a reader and the reader's language."""

    ORIGINAL = "original", _("Original")
    TRANSLATED = "translated", _("Translated")
    OUTDATED = "outdated", _("Translation may be outdated")
    MISSING = "missing", _("Not translated")


class ThemeTranslation(models.Model):
    """A theme in another language, synced from a file such as 01-where-am-i.ru.md."""

    theme = models.ForeignKey(
        Theme, on_delete=models.CASCADE, related_name="translations", verbose_name=_("theme")
    )
    language = models.CharField(_("language"), max_length=10, choices=translation_language_choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.TextField(_("Markdown source"), blank=True)
    html = models.TextField(_("rendered HTML"), blank=True, editable=False)
    source_path = models.CharField(_("source path"), max_length=300)
    commit = models.CharField(_("commit"), max_length=40, blank=True)
    # Compared with Theme.source_committed_at: an older translation may be outdated.
    source_committed_at = models.DateTimeField(_("file last committed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("theme translation")
        verbose_name_plural = _("theme translations")
        ordering = ["theme", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["theme", "language"], name="theme_translation_once_per_language"
            )
        ]

    def __str__(self):
        return f"{self.theme} ({self.language})"

    def save(self, *args, **kwargs):
        self.html = render_markdown(self.source, source_path=self.source_path)
        super().save(*args, **kwargs)

    @property
    def is_outdated(self):
        """Whether the original was committed after this translation was.

        NOTE: commit times come from the committers' clocks and survive a
        rebase, so a wrong clock can hide an outdated translation or mark a
        current one. Two commits within the same second count as current.
        """
        original = self.theme.source_committed_at
        return bool(original and self.source_committed_at and original > self.source_committed_at)


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
