import pytest

from courses.models import Module, Section

pytestmark = pytest.mark.django_db


def test_instructor_edits_modules_with_section_inline(client, instructor):
    client.force_login(instructor)

    response = client.post(
        "/admin/courses/module/add/",
        {
            "title": "Networking",
            "slug": "networking",
            "order": 4,
            "description": "",
            "source_path": "",
            "sections-TOTAL_FORMS": "1",
            "sections-INITIAL_FORMS": "0",
            "sections-0-order": "1",
            "sections-0-title": "Addresses",
            "sections-0-slug": "addresses",
            "sections-0-description": "",
        },
    )

    assert response.status_code == 302
    module = Module.objects.get(slug="networking")
    assert list(module.sections.values_list("slug", flat=True)) == ["addresses"]


def test_instructor_orders_sections_and_themes(client, instructor):
    module = Module.objects.create(title="Files", slug="files")
    Section.objects.create(module=module, title="Basics", slug="basics", order=2)
    client.force_login(instructor)

    sections = client.get("/admin/courses/section/")
    themes = client.get("/admin/courses/theme/")
    syncs = client.get("/admin/courses/lessonsync/")

    assert sections.status_code == 200
    assert 'name="form-0-order"' in sections.text
    assert themes.status_code == 200
    assert syncs.status_code == 200


def test_student_cannot_edit_lessons(client, student):
    client.force_login(student)

    assert client.get("/admin/courses/module/").status_code == 302
