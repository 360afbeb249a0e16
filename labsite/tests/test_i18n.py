"""The interface in Uzbek and Russian: catalogues, pages, the choice of language, the API."""

import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.test import Client, override_settings
from django.utils import timezone

from conftest import PASSWORD, make_user
from containers.consumers import TerminalConsumer
from containers.models import Container, ContainerEvent, Kind, Status, TerminalRecording
from courses.models import Module, Section, Theme
from exams.models import AttemptStatus as ExamStatus
from exams.models import Exam, ExamAttempt, ExamTask, ExamTaskResult
from labs.models import Laboratory, LaboratoryAttempt, LaboratoryTask, LaboratoryTaskResult

BASE_DIR = Path(__file__).resolve().parents[2]
LANGUAGES = ["uz", "ru"]
DOMAINS = ["django", "djangojs"]
LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME
# Folders that are not the project's source; makemessages must not read them.
NOT_SOURCE = [".venv", "node_modules", "staticfiles", "var", "test-artifacts", ".git"]
# A date whose month name shows whether dates follow the language.
EXAM_CLOSES = datetime(2031, 1, 15, 10, 0, tzinfo=UTC)


def catalogue(language, domain="django"):
    return polib.pofile(str(BASE_DIR / "locale" / language / "LC_MESSAGES" / f"{domain}.po"))


# Catalogues


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_catalogue_fully_translated(language, domain):
    po = catalogue(language, domain)

    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    missing_forms = [
        entry.msgid
        for entry in po.translated_entries()
        if entry.msgid_plural and not all(entry.msgstr_plural.values())
    ]

    assert len(po.translated_entries()) > 10
    assert untranslated == []
    assert fuzzy == []
    assert missing_forms == []
    assert not po.metadata_is_fuzzy


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_catalogue_placeholders_match(language, domain):
    path = BASE_DIR / "locale" / language / "LC_MESSAGES" / f"{domain}.po"

    # msgfmt --check compares the placeholders of python-format entries
    # with their msgid and the plural forms with the Plural-Forms header.
    result = subprocess.run(
        ["msgfmt", "--check", "--output-file=/dev/null", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("language", "header"),
    [
        # Both as in Django's own catalogues, which makemessages copies.
        ("uz", "nplurals=1; plural=0;"),
        ("ru", "nplurals=4; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
               "(n%100<12 || n%100>14) ? 1 : n%10==0 || (n%10>=5 && n%10<=9) || "
               "(n%100>=11 && n%100<=14)? 2 : 3);"),
    ],
)  # fmt: skip
def test_catalogue_plural_forms(language, header):
    for domain in DOMAINS:
        assert catalogue(language, domain).metadata["Plural-Forms"] == header


def test_uzbek_uses_modifier_letters():
    # Oʻ and gʻ take U+02BB and the tutuq belgisi U+02BC, not an apostrophe,
    # a backtick or a quotation mark.
    lookalike = re.compile(r"[OoGg]['`\u2018\u2019]|\w['\u2019]\w")
    found = []
    for domain in DOMAINS:
        for entry in catalogue("uz", domain).translated_entries():
            texts = [entry.msgstr, *entry.msgstr_plural.values()]
            found += [text for text in texts if lookalike.search(text)]

    assert found == []


def source_copy(destination):
    shutil.copytree(
        BASE_DIR,
        destination,
        ignore=shutil.ignore_patterns(*NOT_SOURCE, "__pycache__", "*.mo"),
    )


def active_msgids(path):
    return {(entry.msgctxt, entry.msgid) for entry in polib.pofile(str(path)) if not entry.obsolete}


def test_makemessages_finds_no_new_strings(tmp_path):
    """Every string marked for translation in the code is in the catalogues.

    Fails when code gains a string that locale/ lacks: run the
    makemessages commands of docs/interface-translation.md and translate what they add.
    """
    copy = tmp_path / "labsite"
    source_copy(copy)
    environment = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "labsite.settings_test",
        "DATABASE_URL": "sqlite://:memory:",
    }
    ignores = [f"--ignore={folder}" for folder in NOT_SOURCE]

    for domain in DOMAINS:
        result = subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-d", domain, "-l", "uz", "-l", "ru",
             *ignores],
            cwd=copy, env=environment, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr

    for language in LANGUAGES:
        for domain in DOMAINS:
            relative = Path("locale", language, "LC_MESSAGES", f"{domain}.po")
            new = active_msgids(copy / relative) - active_msgids(BASE_DIR / relative)
            assert sorted(new, key=str) == [], f"{relative} lacks these strings"


# Pages


class TextCollector(HTMLParser):
    """Collect the text people read on a page: text nodes and the attributes shown as text.

    Skips scripts and styles, and elements marked with a lang attribute other
    than the page's own (the language switcher names each language in itself).
    """

    SHOWN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "hx-confirm"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}  # fmt: skip

    def __init__(self, language):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack = []
        self.texts = []

    def skipping(self):
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        foreign = attributes.get("lang") not in (None, "", self.language)
        shown = self.SHOWN_ATTRIBUTES & attributes.keys()
        if "/admin/img/icon-" in (attributes.get("src") or ""):
            # Django's admin writes the value itself, True, False or None,
            # as the alt text of its boolean icons, with no translation.
            shown.discard("alt")
        if not (foreign or self.skipping()):
            for name in shown:
                self.texts.append(attributes[name] or "")
            if tag == "input" and attributes.get("type") in ("submit", "button"):
                self.texts.append(attributes.get("value") or "")
        if tag not in self.VOID:
            self.stack.append((tag, foreign or tag in ("script", "style")))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if not self.skipping():
            self.texts.append(data)


def shown_texts(html, language):
    collector = TextCollector(language)
    collector.feed(html)
    texts = []
    for text in collector.texts:
        # A page title is "<page> · Labsite", and breadcrumbs and lesson
        # links join their parts with angle quotes and arrows.
        for part in re.split(r"[\u00b7\u203a\u2190\u2192|]", " ".join(text.split())):
            part = part.strip(" :.")
            if part:
                texts.append(part)
    return texts


def english_patterns(language):
    """Return a regex for each English msgid whose translation into language differs."""
    patterns = {}
    for domain in DOMAINS:
        for entry in catalogue(language, domain).translated_entries():
            pairs = [(entry.msgid, entry.msgstr)]
            if entry.msgid_plural:
                forms = list(entry.msgstr_plural.values())
                pairs = [(entry.msgid, forms[0]), (entry.msgid_plural, forms[-1])]
            for english, translated in pairs:
                if english.casefold() == translated.casefold() or "<" in english:
                    continue
                text = " ".join(english.split()).strip(" :.").replace("%%", "%")
                pieces = re.split(r"%\(\w+\)[sd]", text)
                regex = ".+?".join(re.escape(piece) for piece in pieces)
                patterns[english] = re.compile(rf"{regex}\Z", re.IGNORECASE)
    return patterns


def english_left(html, language):
    patterns = english_patterns(language)
    return sorted(
        {
            f"{text!r} (msgid {english!r})"
            for text in shown_texts(html, language)
            for english, pattern in patterns.items()
            if pattern.match(text)
        }
    )


@pytest.fixture
def cast(db):
    """Users whose names are no msgid ("student" and "admin" are)."""
    return {
        "student": make_user("dilnoza", full_name="Dilnoza Karimova"),
        "instructor": make_user("bekzod", role="instructor"),
        "admin": make_user("malika", role="admin"),
    }


@pytest.fixture
def content(cast):
    """Rows for every page and fragment, made without LXD."""
    student = cast["student"]
    now = timezone.now()
    module = Module.objects.create(title="Shell basics", slug="shell-basics", order=1)
    section = Section.objects.create(module=module, title="First steps", slug="first-steps")
    theme = Theme.objects.create(
        section=section, title="Moving around", slug="moving-around",
        html="<p>cd, pwd, ls</p>", source="cd, pwd, ls",
    )  # fmt: skip
    sandbox = Container.objects.create(
        owner=student, kind=Kind.SANDBOX, image="labsite/debian-12", status=Status.RUNNING,
        name="ls-i18n-sandbox", expires_at=now + timedelta(days=3),
    )  # fmt: skip
    ContainerEvent.objects.create(container=sandbox, status=Status.RUNNING, message="booted")
    TerminalRecording.objects.create(container=sandbox, path="i18n/none.cast")

    lab = Laboratory.objects.create(title="Find files", slug="find-files", module=module)
    lab_tasks = [
        LaboratoryTask.objects.create(
            lab=lab, order=order, title=title, check_script="true", hint="man find"
        )
        for order, title in [(1, "Locate the logs"), (2, "Count the lines")]
    ]
    lab_container = Container.objects.create(
        owner=student, kind=Kind.LAB, image="labsite/debian-12", status=Status.RUNNING,
        name="ls-i18n-lab",
    )  # fmt: skip
    lab_attempt = LaboratoryAttempt.objects.create(user=student, lab=lab, container=lab_container)
    LaboratoryTaskResult.objects.create(
        attempt=lab_attempt, task=lab_tasks[0], passed=True, checked_at=now, feedback="found 3"
    )
    LaboratoryTaskResult.objects.create(
        attempt=lab_attempt, task=lab_tasks[1], passed=False, checked_at=now, feedback="wrong",
        hint_used=True,
    )  # fmt: skip

    exam = Exam.objects.create(
        title="Permissions exam", slug="permissions-exam", duration_minutes=30,
        available_until=EXAM_CLOSES, max_attempts=3,
    )  # fmt: skip
    exam_tasks = [
        ExamTask.objects.create(exam=exam, order=order, title=title, check_script="true", points=2)
        for order, title in [(1, "Make it private"), (2, "Give the group access")]
    ]
    graded = ExamAttempt.objects.create(
        user=student, exam=exam, status=ExamStatus.GRADED, started_at=now - timedelta(hours=2),
        deadline=now - timedelta(hours=1, minutes=30), submitted_at=now - timedelta(hours=1),
        graded_at=now - timedelta(hours=1), score=2, max_score=4, percent=50, passed=False,
        auto_submitted=True,
    )  # fmt: skip
    for task, passed in zip(exam_tasks, [True, False], strict=True):
        ExamTaskResult.objects.create(
            attempt=graded, task=task, passed=passed, points_awarded=2 if passed else 0,
            feedback="checked",
        )  # fmt: skip
    exam_container = Container.objects.create(
        owner=student, kind=Kind.EXAM, image="labsite/debian-12", status=Status.RUNNING,
        name="ls-i18n-exam",
    )  # fmt: skip
    running = ExamAttempt.objects.create(
        user=student, exam=exam, started_at=now, deadline=now + timedelta(minutes=30),
        container=exam_container,
    )  # fmt: skip
    return {
        "module": module,
        "theme": theme,
        "sandbox": sandbox,
        "lab": lab,
        "lab_attempt": lab_attempt,
        "lab_tasks": lab_tasks,
        "exam": exam,
        "graded": graded,
        "running": running,
    }


def student_pages(content):
    """Return (method, path, data, htmx) of every page and fragment a student sees."""
    lab_attempt = content["lab_attempt"]
    hint_task = content["lab_tasks"][0]
    return [
        ("get", "/", None, False),
        ("get", "/accounts/profile/", None, False),
        ("get", "/accounts/profile/", None, True),
        ("post", "/accounts/profile/", {"email": "", "full_name": "D"}, True),
        ("get", "/accounts/password/", None, False),
        ("post", "/accounts/password/", {"old_password": "wrong"}, False),
        ("get", "/lessons/", None, False),
        ("get", f"/lessons/modules/{content['module'].pk}/", None, False),
        ("get", f"/lessons/themes/{content['theme'].pk}/", None, False),
        ("post", f"/lessons/themes/{content['theme'].pk}/done/", None, True),
        ("get", "/sandbox/", None, False),
        ("get", "/sandbox/", None, True),
        ("get", "/labs/", None, False),
        ("get", f"/labs/{content['lab'].slug}/", None, False),
        ("post", f"/labs/attempts/{lab_attempt.pk}/tasks/{hint_task.pk}/hint/", None, True),
        ("get", "/exams/", None, False),
        ("get", f"/exams/{content['exam'].slug}/", None, False),
        ("get", f"/exams/attempts/{content['running'].pk}/", None, False),
        ("get", f"/exams/attempts/{content['graded'].pk}/results/", None, False),
        ("get", f"/exams/attempts/{content['graded'].pk}/results/", None, True),
    ]


def fetch(client, method, path, data, htmx, language):
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    if htmx:
        headers["HTTP_HX_REQUEST"] = "true"
    response = getattr(client, method)(path, data or {}, **headers)
    assert response.status_code in (200, 422), (path, response.status_code)
    assert response["Content-Language"] == language, path
    return response.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_anonymous_pages_translated(client, db, language):
    pages = [
        ("get", "/", None),
        ("get", "/accounts/login/", None),
        ("post", "/accounts/login/", {"username": "nobody", "password": "wrong"}),
        ("get", "/accounts/register/", None),
        ("post", "/accounts/register/", {"username": "x", "password1": "1", "password2": "2"}),
    ]
    for method, path, data in pages:
        html = fetch(client, method, path, data, False, language)

        assert english_left(html, language) == [], path


@pytest.mark.parametrize("language", LANGUAGES)
def test_student_pages_translated(client, cast, content, language):
    client.force_login(cast["student"])

    for method, path, data, htmx in student_pages(content):
        html = fetch(client, method, path, data, htmx, language)

        assert english_left(html, language) == [], path


@pytest.mark.parametrize("language", LANGUAGES)
def test_instructor_pages_translated(client, cast, content, language):
    client.force_login(cast["instructor"])
    paths = ["/", "/lessons/", f"/lessons/themes/{content['theme'].pk}/", "/labs/", "/exams/"]

    for path in paths:
        html = fetch(client, "get", path, None, False, language)

        assert english_left(html, language) == [], path


def our_admin_models():
    ours = {"accounts", "containers", "courses", "labs", "exams", "labsite"}
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in ours
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_admin_pages_translated(client, cast, content, language):
    client.force_login(cast["admin"])
    paths = ["/admin/", "/admin/statistics/"]
    for model, _model_admin in our_admin_models():
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        paths.append(base)
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            paths.append(f"{base}{first.pk}/change/")
    paths.append(f"/admin/exams/examattempt/{content['running'].pk}/extend/")

    assert len(paths) > 15
    left = {}
    for path in paths:
        html = fetch(client, "get", path, None, False, language)
        if english_left(html, language):
            left[path] = english_left(html, language)

    assert left == {}, json.dumps(left, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_instructor_admin_translated(client, cast, content, language):
    client.force_login(cast["instructor"])

    html = fetch(client, "get", "/admin/", None, False, language)

    assert english_left(html, language) == []


def test_checker_finds_english(client, db):
    # The page checks above pass only if this one can fail: an English page
    # shows English msgids.
    html = fetch(client, "get", "/accounts/login/", None, False, "en")
    html = html.replace('<html lang="en">', '<html lang="uz">')

    assert "'Log in' (msgid 'Log in')" in english_left(html, "uz")
    assert "'No account yet?' (msgid 'No account yet?')" in english_left(html, "uz")
    assert english_left("<p lang='en'>Log in</p><script>'Log in'</script>", "uz") == []


@pytest.mark.parametrize(
    ("language", "date"),
    [("uz", "15-Yanvar, 2031-yil"), ("ru", "15 января 2031"), ("en", "Jan. 15, 2031")],
)
def test_dates_follow_language(client, cast, content, language, date):
    client.force_login(cast["student"])

    html = fetch(client, "get", f"/exams/{content['exam'].slug}/", None, False, language)

    assert date in html


# Choosing the language


@pytest.mark.parametrize(
    ("accept", "language", "heading"),
    [
        ("uz", "uz", "Linuxni amalda oʻrganing"),
        ("ru-RU,ru;q=0.9,en;q=0.5", "ru", "Изучайте Linux на практике"),
        ("en-US", "en", "Learn Linux by doing it"),
        ("fr", "en", "Learn Linux by doing it"),
    ],
)
def test_accept_language_picks_language(client, db, accept, language, heading):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept)

    assert response["Content-Language"] == language
    assert f'<html lang="{language}">' in response.text
    assert heading in response.text


@pytest.mark.parametrize(("default", "heading"), [("uz", "Linuxni"), ("ru", "Изучайте Linux")])
def test_language_code_sets_default(client, db, default, heading):
    with override_settings(LANGUAGE_CODE=default):
        response = client.get("/")

    assert response["Content-Language"] == default
    assert heading in response.text


def test_language_code_read_from_environment():
    from labsite.tests.test_settings import PRODUCTION, run

    script = "import django; from django.conf import settings; django.setup(); "
    script += "print(settings.LANGUAGE_CODE)"
    chosen = run(["-c", script], **PRODUCTION, LANGUAGE_CODE="uz")
    unsupported = run(["-c", script], **PRODUCTION, LANGUAGE_CODE="fr")
    unset = run(["-c", script], **PRODUCTION)

    assert chosen.stdout.strip() == "uz"
    assert unsupported.returncode != 0
    message = "LANGUAGE_CODE='fr' is not supported. Set it to one of: en, uz, ru."
    assert message in unsupported.stderr
    assert unset.stdout.strip() == "en"


def test_switcher_in_header_and_admin(client, cast):
    client.force_login(cast["admin"])

    for path in ["/", "/admin/"]:
        html = client.get(path, HTTP_ACCEPT_LANGUAGE="ru").text

        assert 'action="/i18n/setlang/"' in html, path
        assert '<option value="uz" lang="uz">Oʻzbek tili</option>' in html, path
        assert '<option value="ru" lang="ru" selected>Русский</option>' in html, path


def test_switcher_saves_profile_language(client, cast):
    student = cast["student"]
    client.force_login(student)

    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/labs/"})

    assert response.status_code == 302
    assert response["Location"] == "/labs/"
    assert response.cookies[LANGUAGE_COOKIE].value == "ru"
    student.refresh_from_db()
    assert student.preferred_language == "ru"
    assert "Лабораторные работы" in client.get("/labs/").text


def test_saved_language_applied_at_next_login(cast):
    first_browser = Client()
    first_browser.force_login(cast["student"])
    first_browser.post("/i18n/setlang/", {"language": "uz", "next": "/"})
    other_browser = Client(HTTP_ACCEPT_LANGUAGE="ru")

    response = other_browser.post("/accounts/login/", {"username": "dilnoza", "password": PASSWORD})
    page = other_browser.get("/")

    assert response.cookies[LANGUAGE_COOKIE].value == "uz"
    assert page["Content-Language"] == "uz"
    assert "Xush kelibsiz, Dilnoza Karimova" in page.text


def test_switcher_without_login_saves_nothing(client, cast):
    response = client.post("/i18n/setlang/", {"language": "uz", "next": "/"})

    assert response.cookies[LANGUAGE_COOKIE].value == "uz"
    assert client.get("/")["Content-Language"] == "uz"
    cast["student"].refresh_from_db()
    assert cast["student"].preferred_language == ""


def test_switcher_ignores_unknown_language(client, cast):
    client.force_login(cast["student"])

    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})

    cast["student"].refresh_from_db()
    assert cast["student"].preferred_language == ""
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="ru")["Content-Language"] == "ru"


def test_switcher_rejects_get(client, cast):
    client.force_login(cast["student"])

    response = client.get("/i18n/setlang/?language=ru")

    assert response.status_code == 405
    cast["student"].refresh_from_db()
    assert cast["student"].preferred_language == ""


@pytest.mark.parametrize(("language", "text"), [("uz", "Ulandi"), ("ru", "Подключено")])
def test_javascript_catalogue(client, db, language, text):
    response = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    # The catalogue is JSON inside JavaScript, so non-ASCII letters are escaped.
    assert f'"Connected": {json.dumps(text)}' in response.text


def test_base_loads_catalogue_before_scripts(client, cast, content):
    client.force_login(cast["student"])

    html = client.get(f"/lessons/themes/{content['theme'].pk}/").text

    catalogue_at = html.index('<script src="/jsi18n/" defer>')
    assert catalogue_at < html.index("js/lessons.js")
    assert catalogue_at < html.index("js/terminal.js")


# The scripts of the admin's date and time pickers, in django/contrib/admin/static/admin/js/.
ADMIN_CALENDAR_SCRIPTS = {"calendar.js", "DateTimeShortcuts.js"}
# The script of the changelist's action bar and its confirmations, in the same folder.
ADMIN_ACTIONS_SCRIPTS = {"actions.js"}


def admin_javascript_catalogue(client, language):
    """Return the catalogue that /admin/jsi18n/ sends, keyed by msgid or "context\\x04msgid"."""
    response = client.get("/admin/jsi18n/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    assert response["Content-Language"] == language
    found = re.search(r"const newcatalog = (.*?);\n", response.text, re.DOTALL)
    return json.loads(found[1])


def admin_script_keys(scripts):
    """Return the catalogue keys of every text of these admin scripts.

    They are read from Django's English catalogue, so a text that a Django
    upgrade adds to those scripts is checked too. A key with a context is
    "context\\x04msgid".
    """
    path = Path(admin.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "djangojs.po"
    keys = []
    for entry in polib.pofile(str(path)):
        if {Path(file).name for file, _line in entry.occurrences} & scripts:
            keys.append(f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid)
    return keys


@pytest.mark.parametrize(
    ("scripts", "count"),
    # Django 5.2 has 59 texts in the picker scripts and 4 in actions.js. The
    # lower bound fails if the filter on file names stops matching them.
    [(ADMIN_CALENDAR_SCRIPTS, 50), (ADMIN_ACTIONS_SCRIPTS, 3)],
)
def test_admin_script_translated(client, cast, scripts, count):
    client.force_login(cast["admin"])

    translations = admin_javascript_catalogue(client, "uz")
    keys = admin_script_keys(scripts)
    missing = [key for key in keys if key not in translations]
    apostrophes = []
    for key in keys:
        # An entry with plural forms is a list of them.
        texts = translations.get(key, [])
        texts = [texts] if isinstance(texts, str) else texts
        if any("'" in text for text in texts):
            apostrophes.append(key)

    assert len(keys) > count
    assert missing == []
    # Oʻ and gʻ take U+02BB, as in Labsite's own Uzbek.
    assert apostrophes == []


@pytest.mark.parametrize(
    ("language", "key", "text"),
    [
        ("uz", "January", "Yanvar"),
        ("uz", "abbrev. month January\x04Jan", "Yan"),
        ("uz", "Sunday", "Yakshanba"),
        ("uz", "abbrev. day Monday\x04Mon", "Dush"),
        ("uz", "Today", "Bugun"),
        ("uz", "Now", "Hozir"),
        ("uz", "Noon", "Kun oʻrtasi"),
        ("uz", "Choose a time", "Vaqtni tanlang"),
        # Labsite's Russian for these is Django's own.
        ("ru", "Sunday", "Воскресенье"),
        ("ru", "abbrev. month January\x04Jan", "Янв"),
        ("ru", "Noon", "Полдень"),
    ],
)
def test_admin_calendar_text(client, cast, language, key, text):
    client.force_login(cast["admin"])

    translations = admin_javascript_catalogue(client, language)

    assert translations[key] == text


@pytest.mark.asyncio
# The consumer closes stale database connections on every message.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([(b"accept-language", b"ru")],
         "Вы не вошли в систему. Войдите и откройте терминал снова."),
        ([(b"accept-language", b"ru"), (b"cookie", b"django_language=uz")],
         "Siz tizimga kirmagansiz. Kiring va terminalni qayta oching."),
        ([], "You are not signed in. Log in and open the terminal again."),
    ],
)  # fmt: skip
async def test_terminal_close_reason_in_page_language(headers, reason):
    cookies = {}
    for name, value in headers:
        if name == b"cookie":
            key, _, cookie = value.decode().partition("=")
            cookies[key] = cookie
    communicator = WebsocketCommunicator(
        TerminalConsumer.as_asgi(), "/ws/terminal/1/", headers=headers
    )
    communicator.scope["user"] = AnonymousUser()
    communicator.scope["cookies"] = cookies
    communicator.scope["url_route"] = {"kwargs": {"container_id": 1}}
    try:
        await communicator.connect()
        message = await communicator.receive_json_from()
    finally:
        await communicator.disconnect()

    assert message == {"type": "closed", "code": 4401, "reason": reason}


# The JSON API


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("uz", "/api/nothing-here manzilida API endpoint yoʻq. Roʻyxat /api/docs/ sahifasida."),
        ("ru", "По адресу /api/nothing-here нет эндпоинта API. Список — на /api/docs/."),
    ],
)
def test_api_not_found_translated(api, db, language, detail):
    response = api.get("/api/nothing-here", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 404
    assert response.json() == {"detail": detail, "code": "not_found"}
    assert response["Content-Language"] == language


@pytest.mark.parametrize(
    ("language", "detail", "required", "email"),
    [
        ("uz", "Soʻrovda notoʻgʻri maydonlar bor. Ularni tuzating va soʻrovni qayta yuboring.",
         "Bu maydon toʻldirilishi shart.", "Toʻgʻri elektron pochta manzilini kiriting."),
        ("ru", "В запросе есть недопустимые поля. Исправьте их и отправьте запрос снова.",  # noqa: RUF001
         "Обязательное поле.", "Введите правильный адрес электронной почты."),
    ],
)  # fmt: skip
def test_api_validation_error_translated(api, db, language, detail, required, email):
    response = api.post(
        "/api/auth/register", {"email": "not-an-address"}, format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )  # fmt: skip

    body = response.json()
    assert response.status_code == 400
    assert body["detail"] == detail
    assert body["code"] == "invalid"
    assert body["fields"]["username"] == [required]
    assert body["fields"]["email"] == [email]


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("uz", "Autentifikatsiya maʼlumotlari berilmagan."),
        ("ru", "Учётные данные не предоставлены."),
    ],
)
def test_api_unauthenticated_translated(api, db, language, detail):
    response = api.get("/api/profile", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 401
    assert response.json() == {"detail": detail, "code": "not_authenticated"}


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("uz", "Foydalanuvchi nomi yoki parol notoʻgʻri."),
        ("ru", "Неверное имя пользователя или пароль."),
    ],
)
def test_api_login_error_translated(api, cast, language, detail):
    response = api.post(
        "/api/auth/login", {"username": "dilnoza", "password": "wrong"}, format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )  # fmt: skip

    assert response.status_code == 401
    assert response.json()["detail"] == detail
