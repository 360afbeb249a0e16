from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from labs.translations import TranslatedText


class ExamQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Exam(TranslatedText):
    """A timed exam: tasks solved in a fresh container and graded by check scripts."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(
        _("description"), blank=True, help_text=_("Markdown: the rules students read first.")
    )
    description_html = models.TextField(editable=False, blank=True)
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    passing_score = models.PositiveIntegerField(
        _("passing score (%)"), default=60, validators=[MaxValueValidator(100)]
    )
    max_attempts = models.PositiveIntegerField(
        _("maximum attempts"), default=1, validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    available_from = models.DateTimeField(
        _("available from"), null=True, blank=True, help_text=_("Empty: from now on.")
    )
    available_until = models.DateTimeField(
        _("available until"),
        null=True,
        blank=True,
        help_text=_("Empty: without end. Attempts cannot start after this time."),
    )
    image = models.CharField(
        _("image"), max_length=200, blank=True, help_text=_("LXD image alias; empty for LXD_IMAGE.")
    )
    setup_script = models.TextField(
        _("setup script"),
        blank=True,
        help_text=_("Bash run as root in a new container before the attempt starts."),
    )

    objects = ExamQuerySet.as_manager()

    class Meta:
        verbose_name = _("exam")
        verbose_name_plural = _("exams")
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(available_from__isnull=True)
                | Q(available_until__isnull=True)
                | Q(available_until__gt=models.F("available_from")),
                name="exam_window_ends_after_start",
                violation_error_message=_("The window must end after it starts."),
            )
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if (
            self.available_from is not None
            and self.available_until is not None
            and self.available_until <= self.available_from
        ):
            raise ValidationError({"available_until": _("The window must end after it starts.")})

    def has_opened(self, now=None):
        now = now or timezone.now()
        return self.available_from is None or self.available_from <= now

    def is_open(self, now=None):
        """Return whether an attempt may start now: active and inside the window."""
        now = now or timezone.now()
        if not self.is_active or not self.has_opened(now):
            return False
        return self.available_until is None or now < self.available_until


class ExamTask(TranslatedText):
    exam = models.ForeignKey(
        Exam, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("exam")
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    description_html = models.TextField(editable=False, blank=True)
    check_script = models.TextField(
        _("check script"),
        help_text=_(
            "Bash run as root in the student's container when the attempt is graded. Exit "
            "status 0 passes, unless a line 'FAIL' or 'FAIL: ...' is printed; the output is "
            "the student's feedback."
        ),
    )
    solution_script = models.TextField(
        _("solution script"),
        blank=True,
        help_text=_("Bash run as root that solves the task; for instructors and tests only."),
    )
    points = models.PositiveIntegerField(_("points"), default=1, validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("exam task")
        verbose_name_plural = _("exam tasks")
        ordering = ["order", "id"]

    def __str__(self):
        return self.title


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    GRADING = "grading", _("Grading")
    GRADED = "graded", _("Graded")
    ERROR = "error", _("Grading failed, retrying")


class ExamAttempt(models.Model):
    """One student's timed attempt at an exam, in a container of its own.

    Statuses move in_progress → grading → graded. A grading that fails on
    SSH or LXD leaves status error, which the upkeep process grades again.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="exam_attempts",
        verbose_name=_("user"),
    )
    exam = models.ForeignKey(
        Exam, on_delete=models.PROTECT, related_name="attempts", verbose_name=_("exam")
    )
    container = models.ForeignKey(
        "containers.Container",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("container"),
    )
    snapshot = models.ForeignKey(
        "containers.Container",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("snapshot"),
        help_text=_("A stopped copy of the container as it was when grading began."),
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    deadline = models.DateTimeField(_("deadline"))
    extra_minutes = models.PositiveIntegerField(
        _("extra minutes"), default=0, help_text=_("Time extensions granted, in all.")
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    graded_at = models.DateTimeField(_("graded"), null=True, blank=True)
    auto_submitted = models.BooleanField(
        _("submitted by the platform"),
        default=False,
        help_text=_("The time ran out before the student submitted."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AttemptStatus.choices,
        default=AttemptStatus.IN_PROGRESS,
    )
    score = models.PositiveIntegerField(_("score"), null=True, blank=True)
    max_score = models.PositiveIntegerField(_("maximum score"), null=True, blank=True)
    percent = models.DecimalField(
        _("percent"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    round = models.PositiveIntegerField(
        _("grading round"),
        default=0,
        help_text=_("1 for the first grading; each regrade adds one. Older rounds are kept."),
    )
    grading_failures = models.PositiveIntegerField(_("failed gradings"), default=0)
    grading_error = models.TextField(_("last grading error"), blank=True)
    grading_failed_at = models.DateTimeField(_("last grading failure"), null=True, blank=True)

    class Meta:
        verbose_name = _("exam attempt")
        verbose_name_plural = _("exam attempts")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "exam"],
                condition=Q(status="in_progress"),
                name="one_running_attempt_per_exam",
            )
        ]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self):
        return f"{self.user}: {self.exam}"

    @property
    def is_in_progress(self):
        return self.status == AttemptStatus.IN_PROGRESS

    def seconds_left(self, now=None):
        now = now or timezone.now()
        return max(0, int((self.deadline - now).total_seconds()))

    def current_results(self):
        return [result for result in self.results.all() if result.round == self.round]


def percent_of(score, max_score):
    if not max_score:
        return Decimal("0.00")
    value = Decimal(score) * 100 / Decimal(max_score)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class ExamTaskResult(models.Model):
    """The outcome of one task in one grading round of an attempt."""

    attempt = models.ForeignKey(
        ExamAttempt, on_delete=models.CASCADE, related_name="results", verbose_name=_("attempt")
    )
    task = models.ForeignKey(
        ExamTask, on_delete=models.CASCADE, related_name="results", verbose_name=_("task")
    )
    round = models.PositiveIntegerField(_("grading round"), default=1)
    passed = models.BooleanField(_("passed"), default=False)
    points_awarded = models.PositiveIntegerField(_("points awarded"), default=0)
    feedback = models.TextField(_("feedback"), blank=True)
    graded_at = models.DateTimeField(_("graded"), default=timezone.now)

    class Meta:
        verbose_name = _("exam task result")
        verbose_name_plural = _("exam task results")
        ordering = ["round", "task__order", "task_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "task", "round"], name="one_result_per_task_and_round"
            )
        ]

    def __str__(self):
        outcome = _("passed") if self.passed else _("not passed")
        return f"{self.task}: {outcome}"


class ExamRegrade(models.Model):
    """A record of one regrade: who started it and the score before and after."""

    attempt = models.ForeignKey(
        ExamAttempt, on_delete=models.CASCADE, related_name="regrades", verbose_name=_("attempt")
    )
    round = models.PositiveIntegerField(_("grading round"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    old_score = models.PositiveIntegerField(_("old score"))
    new_score = models.PositiveIntegerField(_("new score"))
    old_percent = models.DecimalField(_("old percent"), max_digits=5, decimal_places=2)
    new_percent = models.DecimalField(_("new percent"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("regrade")
        verbose_name_plural = _("regrades")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.attempt}: {self.old_score} → {self.new_score}"
