"""Lesson sync: clone or pull the lessons repository and update modules, sections and themes.

The repository layout is described in docs/content.md. Each invalid file is
reported with its path and the reason while the rest still syncs. A theme or
translation whose file turned invalid keeps its last good version.
"""

import logging
import os
import posixpath
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import git
import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.languages import translation_languages
from courses.models import LessonSync, Module, Section, Theme, ThemeTranslation

logger = logging.getLogger(__name__)

ENTRY_NAME = re.compile(r"^(?P<order>\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)$")
# A translation file name puts a language code before the extension:
# "01-where-am-i.ru.md", "module.uz.yaml".
TRANSLATED_NAME = re.compile(r"^(?P<base>[^.]+)\.(?P<language>[a-z]{2,3}(?:-[a-z0-9]+)*)$")
FRONT_MATTER = re.compile(r"\A---\r?\n(?P<meta>.*?)\r?\n---\r?\n?(?P<body>.*)\Z", re.DOTALL)
# Git transports a lessons URL may use. "ext::" and other remote helpers would
# run commands on the server.
ALLOWED_PROTOCOLS = "file:git:http:https:ssh"


class SyncFailed(Exception):
    """The repository as a whole could not be read; nothing was changed."""


@dataclass
class Entry:
    path: str  # relative to the repository root, with "/" separators
    order: int
    slug: str
    title: str = ""
    description: str = ""
    source: str = ""
    # A module or section: language -> (title, description) from each valid
    # module.LANG.yaml. A theme: language -> path of its translation file.
    translations: dict = field(default_factory=dict)
    # Languages whose metadata translation file is invalid: their stored text stays.
    invalid_translations: set = field(default_factory=set)


@dataclass
class Scan:
    modules: list = field(default_factory=list)  # (Entry, [(Entry, [Entry])])
    theme_paths: set = field(default_factory=set)  # every theme and translation file
    problems: list = field(default_factory=list)

    def problem(self, path, message):
        self.problems.append({"path": path, "message": str(message)})


def check_repository_url(url):
    """Raise SyncFailed for a URL that would make git run a command or take an option."""
    if not url:
        raise SyncFailed(_("LESSONS_REPO_URL is not set: set it to the lessons repository."))
    if url.startswith("-"):
        raise SyncFailed(
            _("The lessons repository URL %(url)s starts with '-', which git would read as an "
              "option. Use a URL or an absolute path.") % {"url": url}
        )  # fmt: skip
    transport = url.split("::", 1)[0].lower() if "::" in url else ""
    if transport:
        raise SyncFailed(
            _("The lessons repository URL uses the %(transport)s:: transport, which can run "
              "commands on this server. Use an https://, ssh:// or git@ URL, or a path.")
            % {"transport": transport}
        )  # fmt: skip


def git_environment():
    environment = {"GIT_ALLOW_PROTOCOL": ALLOWED_PROTOCOLS, "GIT_TERMINAL_PROMPT": "0"}
    if settings.LESSONS_SSH_KEY_PATH:
        known_hosts = Path(settings.LESSONS_CHECKOUT_DIR).parent / "lessons_known_hosts"
        environment["GIT_SSH_COMMAND"] = (
            f"ssh -i {settings.LESSONS_SSH_KEY_PATH} -o IdentitiesOnly=yes -o BatchMode=yes "
            f"-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile={known_hosts}"
        )
    return environment


def fetch_repository(url, branch):
    """Clone or update the checkout; return the git.Repo at the branch's newest commit."""
    checkout = Path(settings.LESSONS_CHECKOUT_DIR)
    environment = git_environment()
    try:
        if (checkout / ".git").is_dir():
            repo = git.Repo(checkout)
            if repo.remotes.origin.url != url:
                shutil.rmtree(checkout)
                return fetch_repository(url, branch)
            with repo.git.custom_environment(**environment):
                repo.remotes.origin.fetch(branch, depth=None)
            repo.git.checkout("-B", branch, f"origin/{branch}", "--force")
            repo.git.clean("-fdx")
        else:
            checkout.parent.mkdir(parents=True, exist_ok=True)
            repo = git.Repo.clone_from(
                url, checkout, branch=branch, env=environment, multi_options=["--no-local"]
            )
    except git.GitCommandError as error:
        detail = (error.stderr or str(error)).strip().splitlines()[-1:] or [""]
        raise SyncFailed(
            _("git could not fetch branch %(branch)s of %(url)s: %(detail)s")
            % {"branch": branch, "url": url, "detail": detail[0].strip()}
        ) from error
    return repo


def read_text(root, path, scan):
    """Return a repository file's text, or None after reporting why it is unusable."""
    full = root / path
    resolved = full.resolve()
    if full.is_symlink() and not resolved.is_relative_to(root.resolve()):
        scan.problem(path, _("The symbolic link leads outside the repository; it was skipped."))
        return None
    size = resolved.stat().st_size
    if size > settings.LESSONS_MAX_FILE_BYTES:
        scan.problem(
            path,
            _("The file has %(size)d bytes, more than the limit of %(limit)d "
              "(LESSONS_MAX_FILE_BYTES); it was skipped.")
            % {"size": size, "limit": settings.LESSONS_MAX_FILE_BYTES},
        )  # fmt: skip
        return None
    try:
        return resolved.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        scan.problem(
            path,
            _("The file is not UTF-8 text (invalid byte at position %(position)d); "
              "save it as UTF-8.") % {"position": error.start},
        )  # fmt: skip
        return None


def read_metadata(root, path, scan):
    text = read_text(root, path, scan)
    if text is None:
        return None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        scan.problem(path, _("The YAML is invalid: %(error)s") % {"error": error})
        return None
    return _title_and_description(data, path, scan)


def _title_and_description(data, path, scan):
    if not isinstance(data, dict) or not isinstance(data.get("title"), str) or not data["title"]:
        scan.problem(path, _("A title is missing: add a line 'title: ...'."))
        return None
    description = data.get("description", "")
    return str(data["title"]).strip(), str(description or "").strip()


def parse_theme(root, path, scan):
    text = read_text(root, path, scan)
    if text is None:
        return None
    match = FRONT_MATTER.match(text)
    if match is None:
        scan.problem(path, _("The front matter is missing: start the file with a '---' block."))
        return None
    try:
        meta = yaml.safe_load(match["meta"]) or {}
    except yaml.YAMLError as error:
        scan.problem(path, _("The front matter is invalid YAML: %(error)s") % {"error": error})
        return None
    fields = _title_and_description(meta, path, scan)
    if fields is None:
        return None
    return fields, match["body"]


def _entries(root, folder, scan, *, files):
    """Return an Entry for each numbered folder or .md file in folder, in order.

    With files, translation files such as 01-where-am-i.ru.md are not entries
    of their own: they go into the translations of their original's Entry.
    """
    directory = root / folder
    found = []
    translations = []  # (base name, language, path)
    for child in sorted(directory.iterdir()):
        relative = f"{folder}/{child.name}" if folder else child.name
        if child.name.startswith(".") or child.name in ("module.yaml", "section.yaml"):
            continue
        if child.is_symlink() and not child.resolve().is_relative_to(root.resolve()):
            scan.problem(
                relative, _("The symbolic link leads outside the repository; it was skipped.")
            )
            continue
        name = child.name[:-3] if files and child.name.endswith(".md") else child.name
        is_candidate = child.is_file() and child.name.endswith(".md") if files else child.is_dir()
        if not is_candidate:
            continue
        translated = TRANSLATED_NAME.match(name) if files else None
        if translated is not None:
            scan.theme_paths.add(relative)
            if _is_translation_language(translated["language"], relative, scan):
                name = translated["base"]
            else:
                continue
        match = ENTRY_NAME.match(name)
        if match is None:
            scan.problem(
                relative,
                _("The name must be two digits, a dash and a slug of lowercase letters, "
                  "digits and dashes, such as 01-first-steps; it was skipped."),
            )  # fmt: skip
            continue
        if translated is not None:
            translations.append((name, translated["language"], relative))
            continue
        found.append(Entry(path=relative, order=int(match["order"]), slug=match["slug"]))
    _attach_translations(found, translations, scan)
    return found


def _is_translation_language(language, path, scan):
    """Return whether a file's language code is one that translations may use, else report it."""
    if language in translation_languages():
        return True
    scan.problem(
        path,
        _("%(language)s is not a language that lessons are translated into; use one of "
          "%(languages)s, or remove the language code from the name; it was skipped.")
        % {"language": language, "languages": ", ".join(translation_languages())},
    )  # fmt: skip
    return False


def _attach_translations(originals, translations, scan):
    by_name = {posixpath.basename(entry.path)[:-3]: entry for entry in originals}
    for name, language, path in translations:
        original = by_name.get(name)
        if original is None:
            scan.problem(
                path,
                _("The original %(name)s.md of this translation is missing: add it, or "
                  "rename the translation to match its original; it was skipped.")
                % {"name": name},
            )  # fmt: skip
            continue
        original.translations[language] = path


def _read_metadata_translations(root, entry, kind, scan):
    """Read the module.LANG.yaml or section.LANG.yaml files beside the entry's metadata."""
    for file in sorted((root / entry.path).glob(f"{kind}.*.yaml")):
        path = f"{entry.path}/{file.name}"
        translated = TRANSLATED_NAME.match(file.name[: -len(".yaml")])
        if translated is None or translated["base"] != kind:
            continue  # e.g. module.old.backup.yaml: not a translation, like any other file
        language = translated["language"]
        if not _is_translation_language(language, path, scan):
            continue
        metadata = read_metadata(root, path, scan)
        if metadata is None:
            entry.invalid_translations.add(language)
            continue
        entry.translations[language] = metadata


def scan_repository(root):
    """Read the whole layout; return what is valid and the list of problems."""
    scan = Scan()
    for module in _entries(root, "", scan, files=False):
        metadata = read_metadata(root, f"{module.path}/module.yaml", scan)
        if metadata is None:
            _remember_theme_paths(root, module.path, scan)
            continue
        module.title, module.description = metadata
        _read_metadata_translations(root, module, "module", scan)
        sections = []
        for section in _entries(root, module.path, scan, files=False):
            section_metadata = read_metadata(root, f"{section.path}/section.yaml", scan)
            if section_metadata is None:
                _remember_theme_paths(root, section.path, scan)
                continue
            section.title, section.description = section_metadata
            _read_metadata_translations(root, section, "section", scan)
            themes = _entries(root, section.path, scan, files=True)
            scan.theme_paths.update(theme.path for theme in themes)
            sections.append((section, _unique_slugs(themes, scan)))
        scan.modules.append((module, sections))
    return scan


def _unique_slugs(themes, scan):
    seen = set()
    unique = []
    for theme in themes:
        if theme.slug in seen:
            scan.problem(
                theme.path,
                _("Another theme in this section has the slug %(slug)s; rename one of them.")
                % {"slug": theme.slug},
            )
            continue
        seen.add(theme.slug)
        unique.append(theme)
    return unique


def _remember_theme_paths(root, folder, scan):
    """Keep the themes under a folder whose metadata is broken: they are not removed."""
    for path in (root / folder).rglob("*.md"):
        scan.theme_paths.add(path.relative_to(root).as_posix())


def changed_files(repo, last_commit, head):
    """Return the paths changed since last_commit, or None when everything must be read."""
    if not last_commit:
        return None
    try:
        names = repo.git.diff("--name-only", "--no-renames", last_commit, head)
    except git.GitCommandError:
        return None  # the old commit is gone, e.g. after a force push
    return set(names.splitlines())


def sync_lessons(*, url=None, branch=None, full=False):
    """Sync the lessons repository into the database and return the LessonSync record."""
    url = url if url is not None else settings.LESSONS_REPO_URL
    branch = branch or settings.LESSONS_BRANCH
    record = LessonSync.objects.create()
    try:
        check_repository_url(url)
        repo = fetch_repository(url, branch)
        head = repo.head.commit.hexsha
        last = (
            LessonSync.objects.exclude(pk=record.pk)
            .filter(result__in=[LessonSync.Result.OK, LessonSync.Result.PARTIAL])
            .values_list("commit", flat=True)
            .first()
        )
        changed = None if full else changed_files(repo, last, head)
        root = Path(repo.working_tree_dir)
        scan = scan_repository(root)
        with transaction.atomic():
            rendered, removed = apply_scan(root, scan, head, changed, repo=repo)
    except SyncFailed as error:
        logger.warning("lesson sync failed: %s", error)
        return _finish(
            record, LessonSync.Result.FAILED, problems=[{"path": "", "message": str(error)}]
        )

    result = LessonSync.Result.PARTIAL if scan.problems else LessonSync.Result.OK
    logger.info(
        "lesson sync %s at %s: %d themes rendered, %d removed, %d problems",
        result, head[:12], rendered, removed, len(scan.problems),
    )  # fmt: skip
    return _finish(
        record, result, commit=head, problems=scan.problems, changed=rendered, removed=removed
    )


def _finish(record, result, **fields):
    record.result = result
    record.finished_at = timezone.now()
    for name, value in fields.items():
        setattr(record, name, value)
    record.save()
    return record


def apply_scan(root, scan, head, changed, *, repo):
    """Write the scanned layout to the database; return (themes rendered, themes removed).

    Theme translations are counted in a log line of their own.
    """
    rendered = translations_rendered = 0
    kept_modules, kept_sections = set(), set()
    existing = {theme.source_path: theme for theme in Theme.objects.exclude(source_path="")}
    translations = {
        (translation.theme_id, translation.language): translation
        for translation in ThemeTranslation.objects.all()
    }
    files = GitFiles(root=root, repo=repo, head=head, changed=changed)
    for module_entry, sections in scan.modules:
        module = _upsert(Module, {"source_path": module_entry.path}, module_entry)
        kept_modules.add(module.pk)
        for section_entry, themes in sections:
            section = _upsert(
                Section, {"module": module, "source_path": section_entry.path}, section_entry
            )
            kept_sections.add(section.pk)
            for theme_entry in themes:
                theme = existing.get(theme_entry.path)
                if files.needs_render(theme, theme_entry.path):
                    theme, theme_rendered = _render_theme(files, scan, theme, section, theme_entry)
                    rendered += theme_rendered
                else:
                    _move_theme(theme, section, theme_entry)
                if theme is None:
                    continue  # a new theme whose file is invalid: its translations wait for it
                for language, path in theme_entry.translations.items():
                    translation = translations.get((theme.pk, language))
                    if files.needs_render(translation, path):
                        translations_rendered += _render_translation(
                            files, scan, translation, theme, language, path
                        )

    # delete() counts the rows of every model it cascades to (progress, translations).
    _total, deleted = (
        Theme.objects.exclude(source_path="").exclude(source_path__in=scan.theme_paths).delete()
    )
    removed = deleted.get(Theme._meta.label, 0)
    # A translation whose file is gone; those of removed themes went with them.
    translations_removed, _details = ThemeTranslation.objects.exclude(
        source_path__in=scan.theme_paths
    ).delete()
    logger.info(
        "theme translations synced: %d rendered, %d removed",
        translations_rendered, translations_removed,
    )  # fmt: skip
    Section.objects.exclude(source_path="").exclude(pk__in=kept_sections).filter(
        themes__isnull=True
    ).delete()
    Module.objects.exclude(source_path="").exclude(pk__in=kept_modules).filter(
        sections__isnull=True
    ).delete()
    return rendered, removed


def _upsert(model, lookup, entry):
    values = {
        "slug": entry.slug,
        "order": entry.order,
        "title": entry.title,
        "description": entry.description,
    }
    instance = model.objects.filter(source_path=entry.path).first()
    values["translations"] = _metadata_translations(entry, instance)
    if instance is None:
        return model.objects.create(**lookup, **values)
    for name, value in {**lookup, **values}.items():
        setattr(instance, name, value)
    instance.save()
    return instance


def _move_theme(theme, section, entry):
    """Keep an unchanged theme's text, but follow a new order or a renamed section."""
    if theme.section_id != section.pk or theme.order != entry.order:
        Theme.objects.filter(pk=theme.pk).update(section=section, order=entry.order)


def _metadata_translations(entry, instance):
    """Return the translations value for a module or section from its scanned entry.

    A language whose file is invalid keeps the text stored before; a language
    whose file is gone is dropped.
    """
    translations = {
        language: {"title": title, "description": description}
        for language, (title, description) in entry.translations.items()
    }
    stored = instance.translations if instance is not None else {}
    for language in entry.invalid_translations:
        if language in stored:
            translations[language] = stored[language]
    return translations


def _render_theme(files, scan, theme, section, entry):
    """Save the theme from its file; return (theme or None, 1 if rendered else 0).

    An invalid file leaves an existing theme as it was.
    """
    parsed = parse_theme(files.root, entry.path, scan)
    if parsed is None:
        return theme, 0
    (title, description), body = parsed
    theme = theme or Theme(source_path=entry.path)
    theme.section = section
    theme.slug = entry.slug
    theme.order = entry.order
    theme.title = title
    theme.description = description
    theme.source = body
    theme.commit = files.head
    theme.source_committed_at = files.committed_at(entry.path)
    theme.save()
    return theme, 1


def _render_translation(files, scan, translation, theme, language, path):
    """Save a theme translation from its file; return 1 if rendered, else 0."""
    parsed = parse_theme(files.root, path, scan)
    if parsed is None:
        return 0
    (title, description), body = parsed
    translation = translation or ThemeTranslation(theme=theme, language=language)
    translation.title = title
    translation.description = description
    translation.source = body
    translation.source_path = path
    translation.commit = files.head
    translation.source_committed_at = files.committed_at(path)
    translation.save()
    return 1


@dataclass
class GitFiles:
    """The checkout being synced: which files changed, and when each was last committed."""

    root: Path
    repo: git.Repo
    head: str
    changed: set | None  # paths changed since the last sync; None renders everything

    def needs_render(self, stored, path):
        """Return whether the theme or translation stored from path must be read again."""
        if stored is None or self.changed is None or path in self.changed:
            return True
        # A moved file, or a row synced before commit times were stored.
        return stored.source_path != path or stored.source_committed_at is None

    def committed_at(self, path):
        """Return the commit time of the newest commit at head that changed path."""
        newest = next(self.repo.iter_commits(self.head, paths=path, max_count=1), None)
        return newest.committed_datetime if newest is not None else None


def checkout_file(path):
    """Return the absolute path of a file in the lessons checkout, or None if it is not safe."""
    root = Path(settings.LESSONS_CHECKOUT_DIR).resolve()
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root) or ".git" in Path(path).parts:
        return None
    if not candidate.is_file() or os.path.getsize(candidate) > settings.LESSONS_MAX_FILE_BYTES * 8:
        return None
    return candidate
