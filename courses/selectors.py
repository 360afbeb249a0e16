"""Reads of lesson content and progress shared by pages, the API and the dashboard.

Each function runs a fixed number of queries, whatever the number of themes.
Functions that return content for reading show titles, descriptions and
lesson text in the active language where a translation exists (the
original's otherwise), by setting those attributes on the returned
instances: never save them.
"""

from django.db.models import Count, Prefetch, Q
from django.http import Http404

from courses.languages import active_language, original_language
from courses.models import (
    Module,
    Section,
    Theme,
    ThemeProgress,
    ThemeTranslation,
    TranslationStatus,
)


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
    language = active_language()
    for module in modules:
        module.percent = percent(module.done_count, module.theme_count)
        module.title, module.description = module.translated(language)
    return modules


def module_with_progress(module_id, user):
    """Return the module with its sections and themes, the ids of the themes done, and percent."""
    module = module_detail(module_id)
    themes = [theme for section in module.sections.all() for theme in section.themes.all()]
    theme_ids = [theme.pk for theme in themes]
    done = done_theme_ids(user, theme_ids)
    module.percent = percent(len(done), len(theme_ids))

    language = active_language()
    module.title, module.description = module.translated(language)
    for section in module.sections.all():
        section.title, section.description = section.translated(language)
    translated = _translated_titles(theme_ids, language)
    for theme in themes:
        theme.title, theme.description = translated.get(theme.pk, (theme.title, theme.description))
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


def get_lesson(theme_id):
    """Return the theme to read, in the active language when it has a translation.

    The theme also gets language (the code of the text returned) and
    translation_status (a TranslationStatus); its section and module titles
    are translated too. Raises Http404 for an unknown id.
    """
    theme = get_theme(theme_id)
    language = active_language()
    section, module = theme.section, theme.section.module
    section.title, section.description = section.translated(language)
    module.title, module.description = module.translated(language)
    theme.language = original_language()
    theme.translation_status = TranslationStatus.ORIGINAL
    if language == original_language():
        return theme

    translation = ThemeTranslation.objects.filter(theme=theme, language=language).first()
    if translation is None:
        theme.translation_status = TranslationStatus.MISSING
        return theme
    translation.theme = theme
    theme.translation_status = (
        TranslationStatus.OUTDATED if translation.is_outdated else TranslationStatus.TRANSLATED
    )
    theme.language = language
    for name in ("title", "description", "html", "commit", "updated_at"):
        setattr(theme, name, getattr(translation, name))
    return theme


def neighbours(theme):
    """Return (id, title) of the themes before and after this one across the module, or None.

    Titles are in the active language where a translation exists.
    """
    ordered = list(
        Theme.objects.filter(section__module_id=theme.section.module_id)
        .order_by("section__order", "section_id", "order", "id")
        .values_list("id", "title")
    )
    ids = [theme_id for theme_id, _title in ordered]
    index = ids.index(theme.pk)
    previous = ordered[index - 1] if index > 0 else None
    following = ordered[index + 1] if index + 1 < len(ordered) else None

    shown = [item for item in (previous, following) if item is not None]
    translated = _translated_titles([theme_id for theme_id, _title in shown], active_language())
    if previous is not None and previous[0] in translated:
        previous = (previous[0], translated[previous[0]][0])
    if following is not None and following[0] in translated:
        following = (following[0], translated[following[0]][0])
    return previous, following


def _translated_titles(theme_ids, language):
    """Return {theme id: (title, description)} of the themes translated into language."""
    if language == original_language() or not theme_ids:
        return {}
    rows = ThemeTranslation.objects.filter(theme_id__in=theme_ids, language=language).values_list(
        "theme_id", "title", "description"
    )
    return {theme_id: (title, description) for theme_id, title, description in rows}
