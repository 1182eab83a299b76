"""The content type ``api.apitoken`` becomes ``tokens.apitoken`` (same row, same id).

So the permissions (``view_apitoken``...) granted to users and groups, and the admin's history of
tokens, follow the model to its new app instead of being left on a stale content type. On a fresh
database there is no content type yet (they are created after ``migrate``): nothing to do.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def _relabel(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    rows = content_type.objects.using(schema_editor.connection.alias)
    if not rows.filter(app_label=new, model="apitoken").exists():
        rows.filter(app_label=old, model="apitoken").update(app_label=new)


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _relabel(apps, schema_editor, "api", "tokens")


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _relabel(apps, schema_editor, "tokens", "api")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("tokens", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
