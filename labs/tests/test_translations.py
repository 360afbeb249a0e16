"""A lab with Uzbek and Russian texts: pages, API, admin and YAML files in each language.

Each test reads the same lab in uz, ru and en. The lab's Russian texts are
left partly empty, so the Russian reader sees the English original there.
"""

import pytest
from django.conf import settings
from django.utils import translation

from conftest import bearer
from labs.loading import LabFileInvalid, load_lab, read_lab_file
from labs.models import Laboratory, LaboratoryAttempt, LaboratoryTask, LaboratoryTaskResult
from labs.translations import TRANSLATION_LANGUAGES

pytestmark = pytest.mark.django_db

CHECK = "test -f /home/student/notes.txt"


@pytest.fixture
def lab():
    lab = Laboratory.objects.create(
        title="Notes", slug="notes", description="Write **notes**.",
        title_uz="Qaydlar", description_uz="**Qaydlar** yozing.",
        title_ru="Заметки",
    )  # fmt: skip
    LaboratoryTask.objects.create(
        lab=lab, order=1, title="Write notes", description="Create `notes.txt`.",
        hint="Use touch.", check_script=CHECK,
        title_uz="Qayd yozing", description_uz="`notes.txt` faylini yarating.",
        hint_uz="touch buyrugʻidan foydalaning.",
        title_ru="Напишите заметки", hint_ru="Воспользуйтесь touch.",
    )  # fmt: skip
    return lab


def read_in(client, language, url):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.text


def test_translation_languages_match_settings():
    others = [code for code, _name in settings.LANGUAGES if code != "en"]

    assert list(TRANSLATION_LANGUAGES) == others


def test_description_rendered_per_language(lab):
    task = lab.tasks.get()

    assert lab.description_html == "<p>Write <strong>notes</strong>.</p>"
    assert lab.description_html_uz == "<p><strong>Qaydlar</strong> yozing.</p>"
    assert lab.description_html_ru == ""
    assert task.description_html_uz == "<p><code>notes.txt</code> faylini yarating.</p>"


@pytest.mark.parametrize("site_language", ["en", "ru"])
def test_original_shown_for_english_whatever_site_language(lab, settings, site_language):
    settings.LANGUAGE_CODE = site_language

    with translation.override("en"):
        assert lab.translated_title == "Notes"
    with translation.override("ru"):
        assert lab.translated_title == "Заметки"


@pytest.mark.parametrize(
    ("language", "title", "hint"),
    [
        ("uz", "Qaydlar", "touch buyrugʻidan foydalaning."),
        ("ru", "Заметки", "Воспользуйтесь touch."),
        ("en", "Notes", "Use touch."),
        ("uz-latn", "Qaydlar", "touch buyrugʻidan foydalaning."),
        ("fr", "Notes", "Use touch."),
    ],
)
def test_translated_falls_back_to_original(lab, language, title, hint):
    task = lab.tasks.get()

    with translation.override(language):
        assert lab.translated_title == title
        assert task.translated_hint == hint


def test_blank_translation_shows_original(lab):
    lab.title_ru = "   "
    lab.save()

    with translation.override("ru"):
        assert lab.translated_title == "Notes"


def test_list_page_in_each_language(client, student, lab):
    client.force_login(student)

    assert ">Qaydlar</a>" in read_in(client, "uz", "/labs/")
    assert ">Заметки</a>" in read_in(client, "ru", "/labs/")
    assert ">Notes</a>" in read_in(client, "en", "/labs/")


def test_detail_page_in_each_language(client, student, lab):
    client.force_login(student)

    uzbek = read_in(client, "uz", "/labs/notes/")
    russian = read_in(client, "ru", "/labs/notes/")

    assert "<h1>Qaydlar</h1>" in uzbek
    assert "<p><strong>Qaydlar</strong> yozing.</p>" in uzbek
    assert "Write <strong>notes</strong>" not in uzbek
    assert "<h1>Заметки</h1>" in russian
    assert "<p>Write <strong>notes</strong>.</p>" in russian


def test_tasks_and_hint_in_each_language(client, student, lab):
    task = lab.tasks.get()
    attempt = LaboratoryAttempt.objects.create(user=student, lab=lab)
    LaboratoryTaskResult.objects.create(attempt=attempt, task=task, hint_used=True)
    client.force_login(student)

    uzbek = read_in(client, "uz", "/labs/notes/")
    russian = read_in(client, "ru", "/labs/notes/")
    english = read_in(client, "en", "/labs/notes/")

    assert "<h3>Qayd yozing" in uzbek
    assert "<p><code>notes.txt</code> faylini yarating.</p>" in uzbek
    assert "touch buyrugʻidan foydalaning." in uzbek
    assert "<h3>Напишите заметки" in russian
    assert "<p>Create <code>notes.txt</code>.</p>" in russian
    assert "Воспользуйтесь touch." in russian
    assert "<h3>Write notes" in english
    assert "Use touch." in english


def test_hint_rendered_as_markdown_per_language(client, student, lab):
    task = lab.tasks.get()
    task.hint = "Run `touch notes.txt`."
    task.hint_uz = "`touch notes.txt` buyrugʻini bering."
    task.hint_ru = ""
    task.save()
    attempt = LaboratoryAttempt.objects.create(user=student, lab=lab)
    LaboratoryTaskResult.objects.create(attempt=attempt, task=task, hint_used=True)
    client.force_login(student)

    uzbek = read_in(client, "uz", "/labs/notes/")
    russian = read_in(client, "ru", "/labs/notes/")

    assert task.hint_html == "<p>Run <code>touch notes.txt</code>.</p>"
    assert task.hint_html_uz == "<p><code>touch notes.txt</code> buyrugʻini bering.</p>"
    assert task.hint_html_ru == ""
    assert "</strong> <p><code>touch notes.txt</code> buyrugʻini bering.</p></div>" in uzbek
    assert "</strong> <p>Run <code>touch notes.txt</code>.</p></div>" in russian
    assert "`touch notes.txt`" not in uzbek
    assert "`touch notes.txt`" not in russian


def test_api_in_each_language(student, lab):
    client = bearer(student)

    uzbek = client.get(f"/api/labs/{lab.pk}", HTTP_ACCEPT_LANGUAGE="uz").json()
    russian = client.get(f"/api/labs/{lab.pk}", HTTP_ACCEPT_LANGUAGE="ru").json()
    english = client.get(f"/api/labs/{lab.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    listed = client.get("/api/labs", HTTP_ACCEPT_LANGUAGE="ru").json()

    assert (uzbek["title"], uzbek["description_html"]) == (
        "Qaydlar",
        "<p><strong>Qaydlar</strong> yozing.</p>",
    )
    assert [task["title"] for task in uzbek["tasks"]] == ["Qayd yozing"]
    assert (russian["title"], russian["description_html"]) == (
        "Заметки",
        "<p>Write <strong>notes</strong>.</p>",
    )
    assert russian["tasks"][0]["description_html"] == "<p>Create <code>notes.txt</code>.</p>"
    assert english["title"] == "Notes"
    assert [lab["title"] for lab in listed] == ["Заметки"]


def test_admin_saves_translations(client, instructor):
    client.force_login(instructor)
    form = {
        "title": "Users", "slug": "users", "description": "Add users.", "image": "",
        "setup_script": "", "module": "", "is_active": "on", "order": "0",
        "title_uz": "Foydalanuvchilar", "description_uz": "Foydalanuvchi **qoʻshing**.",
        "title_ru": "", "description_ru": "",
        "tasks-TOTAL_FORMS": "1", "tasks-INITIAL_FORMS": "0",
        "tasks-0-order": "1", "tasks-0-title": "Add bob", "tasks-0-points": "1",
        "tasks-0-description": "", "tasks-0-check_script": "id bob", "tasks-0-hint": "",
        "tasks-0-solution_script": "", "tasks-0-title_uz": "", "tasks-0-description_uz": "",
        "tasks-0-hint_uz": "", "tasks-0-title_ru": "Добавьте bob",
        "tasks-0-description_ru": "", "tasks-0-hint_ru": "Используйте useradd.",
    }  # fmt: skip

    response = client.post("/admin/labs/laboratory/add/", form)

    assert response.status_code == 302
    lab = Laboratory.objects.get(slug="users")
    assert lab.title_uz == "Foydalanuvchilar"
    assert lab.description_html_uz == "<p>Foydalanuvchi <strong>qoʻshing</strong>.</p>"
    task = lab.tasks.get()
    assert (task.title_ru, task.hint_ru) == ("Добавьте bob", "Используйте useradd.")


def test_admin_form_groups_translations(client, instructor, lab):
    client.force_login(instructor)

    page = client.get(f"/admin/labs/laboratory/{lab.pk}/change/").text

    # One fieldset each for the lab, its task and the inline's blank form for a new task.
    assert page.count("Uzbek translation") == 3
    assert page.count("Russian translation") == 3
    assert 'name="title_uz" value="Qaydlar"' in page
    assert 'name="tasks-0-hint_ru"' in page


def write_lab(tmp_path, text):
    path = tmp_path / "01-notes.yaml"
    path.write_text(text, encoding="utf-8")
    return path


LAB_FILE = """\
title: Notes
title_uz: Qaydlar
description: Write notes.
description_ru: Напишите заметки.
tasks:
  - title: Write notes
    title_ru: Напишите заметки
    hint: Use touch.
    hint_uz: touch buyrugʻidan foydalaning.
    description_uz: "`notes.txt` yarating."
    check: test -f /home/student/notes.txt
"""


def test_loader_reads_translation_keys(tmp_path):
    load_lab("notes", read_lab_file(write_lab(tmp_path, LAB_FILE)))

    lab = Laboratory.objects.get(slug="notes")
    task = lab.tasks.get()
    assert (lab.title, lab.title_uz, lab.title_ru) == ("Notes", "Qaydlar", "")
    assert lab.description_html_ru == "<p>Напишите заметки.</p>"
    assert (task.title_ru, task.hint_uz) == ("Напишите заметки", "touch buyrugʻidan foydalaning.")
    assert task.description_html_uz == "<p><code>notes.txt</code> yarating.</p>"


def test_loader_updates_and_clears_translations(tmp_path):
    load_lab("notes", read_lab_file(write_lab(tmp_path, LAB_FILE)))
    changed_text = LAB_FILE.replace("title_uz: Qaydlar\n", "").replace(
        "hint_uz: touch buyrugʻidan", "hint_uz: Faqat touch buyrugʻidan"
    )

    unchanged = load_lab("notes", read_lab_file(write_lab(tmp_path, LAB_FILE)))
    changed = load_lab("notes", read_lab_file(write_lab(tmp_path, changed_text)))

    lab = Laboratory.objects.get(slug="notes")
    assert unchanged is False
    assert changed is True
    assert lab.title_uz == ""
    assert lab.tasks.get().hint_uz == "Faqat touch buyrugʻidan foydalaning."


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "title_kk: Жазбалар",
            "title_kk is not a valid key because kk is not a translation language. "
            "Use title_uz or title_ru.",
        ),
        ("title_uz: 42", "title_uz must be text, not 42."),
    ],
)
def test_loader_rejects_bad_translation_keys(tmp_path, line, message):
    path = write_lab(tmp_path, LAB_FILE.replace("title_uz: Qaydlar", line))

    with pytest.raises(LabFileInvalid) as error:
        read_lab_file(path)

    assert str(error.value) == f"{path}: {message}"


def test_loader_rejects_bad_task_translation_key(tmp_path):
    path = write_lab(tmp_path, LAB_FILE.replace("hint_uz:", "hint_oz:"))

    with pytest.raises(LabFileInvalid) as error:
        read_lab_file(path)

    assert str(error.value) == (
        f"{path}: task 1: hint_oz is not a valid key because oz is not a translation language. "
        "Use hint_uz or hint_ru."
    )
