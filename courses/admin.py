from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from courses.languages import translation_languages
from courses.models import (
    LessonSync,
    Module,
    Section,
    Theme,
    ThemeTranslation,
    TranslationStatus,
)
from courses.sync import sync_lessons


class SectionInline(admin.TabularInline):
    model = Section
    fields = ["order", "title", "slug", "description"]
    extra = 0
    ordering = ["order"]


class ThemeInline(admin.TabularInline):
    model = Theme
    fields = ["order", "title", "slug", "source_path"]
    readonly_fields = ["source_path"]
    extra = 0
    ordering = ["order"]
    show_change_link = True


class ThemeTranslationInline(admin.TabularInline):
    """Translations come from files in the lessons repository, so they are shown, not edited."""

    model = ThemeTranslation
    fields = ["language", "title", "status", "source_path", "source_committed_at", "commit"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("status"))
    def status(self, translation):
        if translation.is_outdated:
            return format_html("<strong>{}</strong>", TranslationStatus.OUTDATED.label)
        return TranslationStatus.TRANSLATED.label


class TranslationFilter(admin.SimpleListFilter):
    """Themes by the state of their translations into every translation language."""

    title = _("translations")
    parameter_name = "translations"

    def lookups(self, request, model_admin):
        return [
            (TranslationStatus.OUTDATED, _("Some may be outdated")),
            (TranslationStatus.MISSING, _("Some are missing")),
            (TranslationStatus.TRANSLATED, _("All translated and up to date")),
        ]

    def queryset(self, request, queryset):
        outdated = Exists(
            ThemeTranslation.objects.filter(
                theme=OuterRef("pk"), source_committed_at__lt=OuterRef("source_committed_at")
            )
        )
        languages = translation_languages()
        counted = queryset.annotate(
            translated_count=Count("translations", filter=Q(translations__language__in=languages))
        )
        missing = Q(translated_count__lt=len(languages))
        if self.value() == TranslationStatus.OUTDATED:
            return queryset.filter(outdated)
        if self.value() == TranslationStatus.MISSING:
            return counted.filter(missing)
        if self.value() == TranslationStatus.TRANSLATED:
            return counted.exclude(missing).exclude(outdated)
        return queryset


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "order", "source_path"]
    list_editable = ["order"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["translations"]
    inlines = [SectionInline]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "module", "order", "source_path"]
    list_filter = ["module"]
    list_editable = ["order"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["translations"]
    inlines = [ThemeInline]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = [
        "title", "section", "order", "translation_list", "source_path", "commit", "updated_at",
    ]  # fmt: skip
    list_filter = [TranslationFilter, "section__module"]
    list_editable = ["order"]
    search_fields = ["title", "slug", "source"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["source_path", "commit", "source_committed_at", "updated_at"]
    fields = [
        "section",
        "title",
        "slug",
        "order",
        "description",
        "source",
        "source_path",
        "commit",
        "source_committed_at",
        "updated_at",
    ]
    inlines = [ThemeTranslationInline]

    def get_queryset(self, request):
        translations = ThemeTranslation.objects.only("theme_id", "language", "source_committed_at")
        return (
            super().get_queryset(request).prefetch_related(Prefetch("translations", translations))
        )

    @admin.display(description=_("translations"))
    def translation_list(self, theme):
        """Show each translation language with its status; outdated ones in bold."""
        parts = []
        for language, status in theme.translation_statuses().items():
            text = f"{language}: {status.label}"
            outdated = status == TranslationStatus.OUTDATED
            parts.append(format_html("<strong>{}</strong>", text) if outdated else text)
        return format_html_join(", ", "{}", ((part,) for part in parts))


@admin.register(LessonSync)
class LessonSyncAdmin(admin.ModelAdmin):
    list_display = ["started_at", "result", "commit", "changed", "removed", "problem_count"]
    list_filter = ["result"]
    readonly_fields = [
        "started_at", "finished_at", "result", "commit", "changed", "removed", "problem_list",
    ]  # fmt: skip
    exclude = ["problems"]
    change_list_template = "admin/courses/lessonsync/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("problems"))
    def problem_count(self, record):
        return len(record.problems)

    @admin.display(description=_("problems"))
    def problem_list(self, record):
        if not record.problems:
            return _("none")
        return format_html_join(
            "\n",
            "<p><code>{}</code>: {}</p>",
            ((problem["path"] or "-", problem["message"]) for problem in record.problems),
        )

    def get_urls(self):
        return [
            path(
                "sync/",
                self.admin_site.admin_view(require_POST(self.sync_view)),
                name="courses_lessonsync_sync",
            ),
            *super().get_urls(),
        ]

    def sync_view(self, request):
        """Run a lesson sync now (the "Sync lessons now" button)."""
        if not request.user.has_perm("courses.change_theme"):
            raise PermissionDenied

        record = sync_lessons()

        level = {
            LessonSync.Result.OK: messages.SUCCESS,
            LessonSync.Result.PARTIAL: messages.WARNING,
        }.get(record.result, messages.ERROR)
        self.message_user(
            request,
            _("Lesson sync: %(result)s, %(changed)d themes rendered, %(removed)d removed, "
              "%(problems)d problems.")
            % {
                "result": record.get_result_display(),
                "changed": record.changed,
                "removed": record.removed,
                "problems": len(record.problems),
            },
            level,
        )  # fmt: skip
        return redirect("admin:courses_lessonsync_change", record.pk)
