"""Reads of lesson content and progress shared by pages, the API and the dashboard.

Each function runs a fixed number of queries, whatever the number of themes.
"""

from django.db.models import Count, Prefetch, Q
from django.http import Http404

from courses.models import Module, Section, Theme, ThemeProgress


def modules_with_progress(user):
    """Return the modules with theme_count and done_count (by user) annotated."""
    return Module.objects.annotate(
        theme_count=Count("sections__themes", distinct=True),
        done_count=Count(
            "sections__themes__progress",
            filter=Q(sections__themes__progress__user=user),
            distinct=True,
        ),
    ).order_by("order", "id")


def percent(done, total):
    return round(100 * done / total) if total else 0


def modules_with_percent(user):
    """Return modules_with_progress as a list, each module with its percent done set."""
    modules = list(modules_with_progress(user))
    for module in modules:
        module.percent = percent(module.done_count, module.theme_count)
    return modules


def module_with_progress(module_id, user):
    """Return the module with its sections and themes, the ids of the themes done, and percent."""
    module = module_detail(module_id)
    theme_ids = [theme.pk for section in module.sections.all() for theme in section.themes.all()]
    done = done_theme_ids(user, theme_ids)
    module.percent = percent(len(done), len(theme_ids))
    return module, done


def module_detail(module_id):
    themes = Theme.objects.only("id", "title", "slug", "order", "description", "section_id")
    sections = Section.objects.order_by("order", "id").prefetch_related(
        Prefetch("themes", queryset=themes.order_by("order", "id"))
    )
    try:
        return Module.objects.prefetch_related(Prefetch("sections", queryset=sections)).get(
            pk=module_id
        )
    except Module.DoesNotExist as error:
        raise Http404 from error


def done_theme_ids(user, theme_ids=None):
    progress = ThemeProgress.objects.filter(user=user)
    if theme_ids is not None:
        progress = progress.filter(theme_id__in=theme_ids)
    return set(progress.values_list("theme_id", flat=True))


def get_theme(theme_id):
    try:
        return Theme.objects.select_related("section__module").get(pk=theme_id)
    except Theme.DoesNotExist as error:
        raise Http404 from error


def neighbours(theme):
    """Return the themes before and after this one across the whole module, or None."""
    ordered = list(
        Theme.objects.filter(section__module_id=theme.section.module_id)
        .order_by("section__order", "section_id", "order", "id")
        .values_list("id", "title")
    )
    ids = [theme_id for theme_id, _title in ordered]
    index = ids.index(theme.pk)
    previous = ordered[index - 1] if index > 0 else None
    following = ordered[index + 1] if index + 1 < len(ordered) else None
    return previous, following
