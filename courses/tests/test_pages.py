import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import bearer
from courses.models import Module, Section, Theme, ThemeProgress

pytestmark = pytest.mark.django_db


def add_theme(section, number):
    return Theme.objects.create(
        section=section, title=f"Theme {number}", slug=f"theme-{number}", order=number,
        source=f"# Theme {number}\n\n```{{.bash .run}}\necho {number}\n```\n",
    )  # fmt: skip


@pytest.fixture
def course():
    module = Module.objects.create(title="Files", slug="files", order=1)
    first = Section.objects.create(module=module, title="Basics", slug="basics", order=1)
    second = Section.objects.create(module=module, title="More", slug="more", order=2)
    themes = [add_theme(first, 1), add_theme(first, 2), add_theme(second, 3)]
    return module, themes


def test_module_list_shows_progress(client, student, course):
    _module, themes = course
    ThemeProgress.objects.create(user=student, theme=themes[0])
    client.force_login(student)

    page = client.get("/lessons/").text

    assert "Files" in page
    assert "1 of 3 lessons done (33%)" in page
    assert '<progress class="module-progress" max="100" value="33">' in page


def test_module_page_lists_sections_and_themes(client, student, course):
    module, themes = course
    ThemeProgress.objects.create(user=student, theme=themes[1])
    client.force_login(student)

    page = client.get(f"/lessons/modules/{module.pk}/").text

    assert page.index("Basics") < page.index("Theme 1") < page.index("Theme 2") < page.index("More")
    assert page.count('class="badge done"') == 1


def test_theme_page_navigation_and_done(client, student, course):
    _module, themes = course
    client.force_login(student)

    page = client.get(f"/lessons/themes/{themes[1].pk}/").text
    done = client.post(f"/lessons/themes/{themes[1].pk}/done/", HTTP_HX_REQUEST="true")
    again = client.post(f"/lessons/themes/{themes[1].pk}/done/", HTTP_HX_REQUEST="true")

    assert f'href="/lessons/themes/{themes[0].pk}/" rel="prev"' in page
    assert f'href="/lessons/themes/{themes[2].pk}/" rel="next"' in page
    assert '<div class="run highlight">' in page
    assert "Mark as done" in page
    assert "Open terminal" in page
    assert done.text.lstrip().startswith('<form id="done-button"')
    assert ">Done<" in done.text
    assert again.status_code == 200
    assert ThemeProgress.objects.filter(user=student).count() == 1


def test_lesson_pages_require_login(client, course):
    _module, themes = course

    for url in ["/lessons/", f"/lessons/themes/{themes[0].pk}/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_unknown_theme_is_404(client, student, db):
    client.force_login(student)

    assert client.get("/lessons/themes/999999/").status_code == 404
    assert client.get("/lessons/modules/999999/").status_code == 404


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_count_constant_as_themes_grow(client, student, course):
    module, themes = course
    client.force_login(student)
    urls = ["/lessons/", f"/lessons/modules/{module.pk}/", f"/lessons/themes/{themes[1].pk}/"]
    api = bearer(student)
    api_urls = ["/api/modules", f"/api/modules/{module.pk}", f"/api/lessons/{themes[1].pk}"]
    before = [count_queries(client, url) for url in urls]
    before_api = [len_api_queries(api, url) for url in api_urls]

    section = Section.objects.get(slug="more")
    for number in range(4, 24):
        theme = add_theme(section, number)
        ThemeProgress.objects.create(user=student, theme=theme)

    assert [count_queries(client, url) for url in urls] == before
    assert [len_api_queries(api, url) for url in api_urls] == before_api


def len_api_queries(api, url):
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


def test_api_modules_and_lesson(student, course):
    module, themes = course
    api = bearer(student)

    complete = api.post(f"/api/lessons/{themes[0].pk}/complete")
    modules = api.get("/api/modules").json()
    detail = api.get(f"/api/modules/{module.pk}").json()
    lesson = api.get(f"/api/lessons/{themes[0].pk}").json()

    assert complete.status_code == 200
    assert modules == [
        {
            "id": module.pk, "title": "Files", "slug": "files", "order": 1, "description": "",
            "theme_count": 3, "done_count": 1, "percent": 33,
        }
    ]  # fmt: skip
    assert [section["slug"] for section in detail["sections"]] == ["basics", "more"]
    assert detail["sections"][0]["themes"][0] == {
        "id": themes[0].pk, "title": "Theme 1", "slug": "theme-1", "order": 1,
        "description": "", "done": True,
    }  # fmt: skip
    assert lesson["html"].startswith("<h1")
    assert lesson["done"] is True
    assert lesson["previous"] is None
    assert lesson["next"] == themes[1].pk


def test_api_requires_token(api, course):
    _module, themes = course

    assert api.get("/api/modules").status_code == 401
    assert api.post(f"/api/lessons/{themes[0].pk}/complete").status_code == 401


def test_api_unknown_lesson_is_404(student, db):
    response = bearer(student).get("/api/lessons/999999")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_repository_image_served_safely(client, student, settings, tmp_path):
    settings.LESSONS_CHECKOUT_DIR = str(tmp_path)
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "tree.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (tmp_path / "notes.md").write_text("not an image")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.png").write_bytes(b"x")
    client.force_login(student)

    image = client.get("/lessons/files/images/tree.png")

    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert image["X-Content-Type-Options"] == "nosniff"
    assert client.get("/lessons/files/notes.md").status_code == 404
    assert client.get("/lessons/files/.git/x.png").status_code == 404
    assert client.get("/lessons/files/../../etc/passwd").status_code == 404
