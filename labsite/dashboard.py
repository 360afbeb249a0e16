"""The student dashboard: one read across lessons, labs, exams and containers.

dashboard_for() runs the same number of queries however long the student's
history is: one per list, with the recent-activity lists limited in SQL.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Max, Q
from django.urls import reverse

from containers.selectors import sandbox_of
from courses.models import ThemeProgress
from courses.selectors import modules_with_percent
from exams.models import AttemptStatus as ExamStatus
from exams.models import ExamAttempt
from labs.models import AttemptStatus as LabStatus
from labs.models import LaboratoryAttempt, LaboratoryTaskResult
from labs.translations import translated_names, translated_value

ACTIVITY_LIMIT = 10
ACTIVITY_KINDS = ["lesson", "lab_task", "exam"]


@dataclass(frozen=True)
class ModuleProgress:
    id: int
    title: str
    done: int
    total: int
    percent: int
    url: str


@dataclass(frozen=True)
class LabInProgress:
    attempt_id: int
    lab_id: int
    title: str
    started_at: datetime
    tasks_passed: int
    tasks_total: int
    url: str | None  # None once the lab is deactivated, because its page is then a 404.


@dataclass(frozen=True)
class CompletedLab:
    lab_id: int
    title: str
    completed_at: datetime
    url: str | None


@dataclass(frozen=True)
class ExamResult:
    attempt_id: int
    exam_id: int
    exam_title: str
    status: str
    status_label: str
    started_at: datetime
    submitted_at: datetime | None
    graded_at: datetime | None
    score: int | None
    max_score: int | None
    percent: Decimal | None
    passed: bool | None
    results_url: str | None  # None while the attempt runs.


@dataclass(frozen=True)
class Sandbox:
    id: int
    status: str
    status_label: str
    created_at: datetime
    expires_at: datetime | None
    url: str


@dataclass(frozen=True)
class Activity:
    """One thing the student did: a lesson done, a lab task passed or an exam submitted."""

    kind: str  # one of ACTIVITY_KINDS
    at: datetime
    title: str
    parent_title: str  # the lesson's module, the task's lab, or empty for an exam
    url: str | None


@dataclass(frozen=True)
class Dashboard:
    modules: list[ModuleProgress]
    labs_in_progress: list[LabInProgress]
    labs_completed: list[CompletedLab]
    exams: list[ExamResult]
    sandbox: Sandbox | None
    activity: list[Activity]


def dashboard_for(user):
    """Return the user's dashboard: progress, labs, exam results, sandbox and recent activity."""
    exams = exam_results(user)
    return Dashboard(
        modules=module_progress(user),
        labs_in_progress=labs_in_progress(user),
        labs_completed=labs_completed(user),
        exams=exams,
        sandbox=current_sandbox(user),
        activity=recent_activity(user, exams),
    )


def module_progress(user):
    return [
        ModuleProgress(
            id=module.pk,
            title=module.title,
            done=module.done_count,
            total=module.theme_count,
            percent=module.percent,
            url=reverse("courses:module", args=[module.pk]),
        )
        for module in modules_with_percent(user)
    ]


def lab_url(lab_slug, lab_is_active):
    return reverse("labs:detail", args=[lab_slug]) if lab_is_active else None


def labs_in_progress(user):
    attempts = (
        LaboratoryAttempt.objects.filter(user=user, status=LabStatus.IN_PROGRESS)
        .select_related("lab")
        .annotate(
            tasks_passed=Count("results", filter=Q(results__passed=True), distinct=True),
            tasks_total=Count("lab__tasks", distinct=True),
        )
        .order_by("-started_at", "-id")
    )
    return [
        LabInProgress(
            attempt_id=attempt.pk,
            lab_id=attempt.lab_id,
            title=attempt.lab.translated_title,
            started_at=attempt.started_at,
            tasks_passed=attempt.tasks_passed,
            tasks_total=attempt.tasks_total,
            url=lab_url(attempt.lab.slug, attempt.lab.is_active),
        )
        for attempt in attempts
    ]


def labs_completed(user):
    """Return each lab the user completed at least once, with the latest completion first."""
    rows = (
        LaboratoryAttempt.objects.filter(user=user, status=LabStatus.COMPLETED)
        .values(
            "lab_id", "lab__title", *translated_names("lab__title"), "lab__slug", "lab__is_active"
        )
        .annotate(completed_at=Max("finished_at"))
        .order_by("-completed_at", "lab_id")
    )
    return [
        CompletedLab(
            lab_id=row["lab_id"],
            title=translated_value(row.__getitem__, "lab__title"),
            completed_at=row["completed_at"],
            url=lab_url(row["lab__slug"], row["lab__is_active"]),
        )
        for row in rows
    ]


def exam_results(user):
    attempts = (
        ExamAttempt.objects.filter(user=user).select_related("exam").order_by("-started_at", "-id")
    )
    return [
        ExamResult(
            attempt_id=attempt.pk,
            exam_id=attempt.exam_id,
            exam_title=attempt.exam.translated_title,
            status=attempt.status,
            status_label=attempt.get_status_display(),
            started_at=attempt.started_at,
            submitted_at=attempt.submitted_at,
            graded_at=attempt.graded_at,
            score=attempt.score,
            max_score=attempt.max_score,
            percent=attempt.percent,
            passed=attempt.passed,
            results_url=(
                None
                if attempt.status == ExamStatus.IN_PROGRESS
                else reverse("exams:results", args=[attempt.pk])
            ),
        )
        for attempt in attempts
    ]


def current_sandbox(user):
    container = sandbox_of(user)
    if container is None:
        return None
    return Sandbox(
        id=container.pk,
        status=container.status,
        status_label=container.sandbox_status_label,
        created_at=container.created_at,
        expires_at=container.expires_at,
        url=reverse("containers:sandbox"),
    )


def recent_activity(user, exams):
    """Return the newest ACTIVITY_LIMIT lessons done, lab tasks passed and exams submitted.

    Exams come from the already loaded exam results, so this adds two queries.
    """
    lessons = (
        ThemeProgress.objects.filter(user=user)
        .select_related("theme__section__module")
        .order_by("-completed_at", "-id")[:ACTIVITY_LIMIT]
    )
    tasks = (
        LaboratoryTaskResult.objects.filter(
            attempt__user=user, passed=True, checked_at__isnull=False
        )
        .select_related("task", "attempt__lab")
        .order_by("-checked_at", "-id")[:ACTIVITY_LIMIT]
    )

    items = [
        Activity(
            kind="lesson",
            at=progress.completed_at,
            title=progress.theme.title,
            parent_title=progress.theme.section.module.title,
            url=reverse("courses:theme", args=[progress.theme_id]),
        )
        for progress in lessons
    ]
    items += [
        Activity(
            kind="lab_task",
            at=result.checked_at,
            title=result.task.translated_title,
            parent_title=result.attempt.lab.translated_title,
            url=lab_url(result.attempt.lab.slug, result.attempt.lab.is_active),
        )
        for result in tasks
    ]
    items += [
        Activity(
            kind="exam",
            at=exam.submitted_at,
            title=exam.exam_title,
            parent_title="",
            url=exam.results_url,
        )
        for exam in exams
        if exam.submitted_at is not None
    ]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:ACTIVITY_LIMIT]
