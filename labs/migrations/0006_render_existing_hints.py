from django.db import migrations

from courses.rendering import render_markdown

# Each hint column and the column of its rendered HTML.
HTML_COLUMNS = {"hint": "hint_html", "hint_uz": "hint_html_uz", "hint_ru": "hint_html_ru"}


def render_hints(apps, schema_editor):
    """Fill the HTML of hints saved before the columns existed; save() does it since."""
    LaboratoryTask = apps.get_model("labs", "LaboratoryTask")
    for task in LaboratoryTask.objects.only("pk", *HTML_COLUMNS):
        for source, html in HTML_COLUMNS.items():
            setattr(task, html, render_markdown(getattr(task, source)))
        task.save(update_fields=list(HTML_COLUMNS.values()))


class Migration(migrations.Migration):
    dependencies = [
        ("labs", "0005_render_hints_as_markdown"),
    ]

    # Going back keeps the rendered HTML, which reversing 0005 then drops.
    operations = [migrations.RunPython(render_hints, migrations.RunPython.noop)]
