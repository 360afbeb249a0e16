"""Admin of exams for instructors and admins: writing exams, watching and regrading attempts."""

import logging

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from containers.errors import ContainerError
from containers.models import Kind
from exams import services
from exams.models import Exam, ExamAttempt, ExamRegrade, ExamTask, ExamTaskResult
from labs.admin import CheckScriptWarningsMixin
from labs.management.commands.validate_lab import validator_account
from labs.translations import translated_names, translation_fieldsets
from labs.validation import describe, validate_tasks

logger = logging.getLogger(__name__)

# The form rejects an extension of more than a day as a likely typing mistake.
MAX_EXTENSION_MINUTES = 24 * 60


class ExamTaskInline(admin.StackedInline):
    model = ExamTask
    extra = 0
    ordering = ["order"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "order",
                    "title",
                    "points",
                    "description",
                    "check_script",
                    "solution_script",
                ]
            },
        ),
        *translation_fieldsets(["title", "description"]),
    ]

    def has_delete_permission(self, request, obj=None):
        # Deleting a task deletes the students' results for it, so an exam
        # that has attempts keeps its tasks. Their check scripts may change,
        # and a regrade applies the change.
        if obj is not None and obj.attempts.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Exam)
class ExamAdmin(CheckScriptWarningsMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "slug",
        "is_active",
        "available_from",
        "available_until",
        "duration_minutes",
        "passing_score",
    ]
    list_filter = ["is_active"]
    list_editable = ["is_active"]
    search_fields = ["title", *translated_names("title"), "slug"]
    prepopulated_fields = {"slug": ["title"]}
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "description",
                    "duration_minutes",
                    "passing_score",
                    "max_attempts",
                    "is_active",
                    "available_from",
                    "available_until",
                    "image",
                    "setup_script",
                ]
            },
        ),
        *translation_fieldsets(["title", "description"]),
    ]
    inlines = [ExamTaskInline]
    actions = ["validate_exams"]

    @admin.action(
        description=gettext_lazy("Validate selected exams in a throwaway container"),
        permissions=["change"],
    )
    def validate_exams(self, request, queryset):
        for exam in queryset:
            report = validate_tasks(exam, owner=validator_account(), kind=Kind.EXAM)
            if report.ok:
                self.message_user(request, _("%(exam)s: valid") % {"exam": exam}, messages.SUCCESS)
            else:
                self.message_user(request, _("%(exam)s: invalid") % {"exam": exam}, messages.ERROR)
            level = messages.INFO if report.ok else messages.WARNING
            for line in describe(report):
                self.message_user(request, line, level)


class ReadOnlyInline(admin.TabularInline):
    """An inline of an attempt's history, read-only because only the services write these rows."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CurrentRoundFormSet(BaseInlineFormSet):
    """The results of the attempt's current grading round, which make up its score."""

    def __init__(self, *args, instance=None, queryset=None, **kwargs):
        if instance is not None and queryset is not None:
            queryset = queryset.filter(round=instance.round)
        super().__init__(*args, instance=instance, queryset=queryset, **kwargs)


class EarlierRoundsFormSet(BaseInlineFormSet):
    """The results of the rounds before the current one, which regrades replaced."""

    def __init__(self, *args, instance=None, queryset=None, **kwargs):
        if instance is not None and queryset is not None:
            queryset = queryset.filter(round__lt=instance.round)
        super().__init__(*args, instance=instance, queryset=queryset, **kwargs)


class CurrentResultInline(ReadOnlyInline):
    model = ExamTaskResult
    formset = CurrentRoundFormSet
    verbose_name_plural = gettext_lazy("results of the current grading round")
    fields = ["task", "passed", "points_awarded", "feedback", "graded_at"]
    readonly_fields = fields
    ordering = ["task__order", "task_id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("task")


class EarlierResultInline(CurrentResultInline):
    formset = EarlierRoundsFormSet
    verbose_name_plural = gettext_lazy("results of earlier grading rounds")
    fields = ["round", "task", "passed", "points_awarded", "feedback", "graded_at"]
    readonly_fields = fields
    ordering = ["-round", "task__order", "task_id"]


class RegradeInline(ReadOnlyInline):
    model = ExamRegrade
    fields = [
        "round",
        "requested_by",
        "at",
        "old_score",
        "new_score",
        "old_percent",
        "new_percent",
    ]
    readonly_fields = fields


class ExtensionForm(forms.Form):
    minutes = forms.IntegerField(
        label=gettext_lazy("Extra minutes"),
        min_value=1,
        max_value=MAX_EXTENSION_MINUTES,
        help_text=gettext_lazy(
            "Moves the deadline and the end of terminal access this much later."
        ),
    )


@admin.register(ExamAttempt)
class ExamAttemptAdmin(admin.ModelAdmin):
    list_display = [
        "exam",
        "user",
        "status",
        "score",
        "percent",
        "passed",
        "started_at",
        "deadline",
    ]
    list_filter = ["status", "passed", "exam"]
    list_select_related = ["exam", "user"]
    search_fields = ["user__username", "user__full_name", "exam__title"]
    date_hierarchy = "started_at"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "exam",
                    "user",
                    "status",
                    "started_at",
                    "deadline",
                    "extra_minutes",
                    "submitted_at",
                    "auto_submitted",
                ]
            },
        ),
        (
            gettext_lazy("Grade"),
            {"fields": ["graded_at", "round", "score", "max_score", "percent", "passed"]},
        ),
        (
            gettext_lazy("Containers and terminals"),
            {"fields": ["container_link", "snapshot_link", "terminal_recordings"]},
        ),
        (
            gettext_lazy("Grading failures"),
            {"fields": ["grading_failures", "grading_error", "grading_failed_at"]},
        ),
    ]
    readonly_fields = ["container_link", "snapshot_link", "terminal_recordings"]
    inlines = [CurrentResultInline, EarlierResultInline, RegradeInline]
    actions = ["regrade_attempts"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Attempts change only through the services (regrade, extension), so a
        # single attempt's page is read-only. The model-level permission (obj
        # None) still decides who may use the actions and the extension form.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("container", "snapshot")

    @admin.display(description=gettext_lazy("container"))
    def container_link(self, attempt):
        return _container_link(attempt.container)

    @admin.display(description=gettext_lazy("snapshot"))
    def snapshot_link(self, attempt):
        return _container_link(attempt.snapshot)

    @admin.display(description=gettext_lazy("terminal recordings"))
    def terminal_recordings(self, attempt):
        if attempt.container is None:
            return "-"
        recordings = attempt.container.recordings.all()
        if not recordings:
            return _("No terminal was opened.")
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a>',
            (
                (
                    reverse("admin:containers_terminalrecording_replay", args=[recording.pk]),
                    _("Replay the terminal opened at %(time)s")
                    % {"time": _local_time(recording.started_at)},
                )
                for recording in recordings
            ),
        )

    @admin.action(
        description=gettext_lazy("Regrade from snapshot with the current check scripts"),
        permissions=["change"],
    )
    def regrade_attempts(self, request, queryset):
        for attempt in queryset:
            try:
                regraded = services.regrade_attempt(attempt=attempt, requested_by=request.user)
            except services.AttemptClosed as error:
                self.message_user(request, f"{attempt}: {error.message}", messages.ERROR)
                continue
            except ContainerError as error:
                logger.warning("admin regrade of attempt %s failed: %s", attempt.pk, error)
                self.message_user(
                    request,
                    _("%(attempt)s: the regrade failed and nothing changed: %(error)s")
                    % {"attempt": attempt, "error": error.message},
                    messages.ERROR,
                )
                continue
            self.message_user(
                request,
                _(
                    "%(attempt)s: regraded in round %(round)d, score %(old)s → %(new)s "
                    "of %(max)s (%(percent)s %%)."
                )
                % {
                    "attempt": attempt,
                    "round": regraded.round,
                    "old": attempt.score,
                    "new": regraded.score,
                    "max": regraded.max_score,
                    "percent": regraded.percent,
                },
                messages.SUCCESS,
            )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        attempt = self.get_object(request, object_id)
        can_extend = (
            attempt is not None
            and attempt.is_in_progress
            and super().has_change_permission(request)
        )
        extra_context = {**(extra_context or {}), "can_extend": can_extend}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:attempt_id>/extend/",
                self.admin_site.admin_view(self.extend_view),
                name="exams_examattempt_extend",
            ),
            *super().get_urls(),
        ]

    def extend_view(self, request, attempt_id):
        """Ask for the extra minutes of one attempt in progress and call extend_attempt."""
        if not super().has_change_permission(request):
            raise PermissionDenied
        attempt = get_object_or_404(
            ExamAttempt.objects.select_related("exam", "user"), pk=attempt_id
        )
        change_url = reverse("admin:exams_examattempt_change", args=[attempt.pk])
        if not attempt.is_in_progress:
            self.message_user(
                request,
                _("%(attempt)s is not in progress, so its time cannot be extended.")
                % {"attempt": attempt},
                messages.ERROR,
            )
            return redirect(change_url)

        form = ExtensionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            minutes = form.cleaned_data["minutes"]
            try:
                extended = services.extend_attempt(attempt=attempt, minutes=minutes)
            except services.AttemptClosed as error:
                self.message_user(request, f"{attempt}: {error.message}", messages.ERROR)
                return redirect(change_url)
            self.message_user(
                request,
                _("%(attempt)s: %(minutes)d more minutes, the deadline is now %(deadline)s.")
                % {
                    "attempt": attempt,
                    "minutes": minutes,
                    "deadline": _local_time(extended.deadline),
                },
                messages.SUCCESS,
            )
            return redirect(change_url)

        context = {
            **self.admin_site.each_context(request),
            "title": _("More time for %(attempt)s") % {"attempt": attempt},
            "attempt": attempt,
            "form": form,
            "opts": self.model._meta,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/exams/examattempt/extend.html", context)


def _container_link(container):
    if container is None:
        return "-"
    url = reverse("admin:containers_container_change", args=[container.pk])
    return format_html(
        '<a href="{}">{}</a> ({})', url, container.name, container.get_status_display()
    )


def _local_time(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
