"""``ApiToken`` leaves this app's migration state for ``console.tokens`` (``tokens.0001``).

State only (``database_operations=[]``): the table ``api_apitoken`` and its rows stay where they
are, and ``console.tokens.models.ApiToken`` names it with ``db_table``.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("tokens", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiToken")],
            database_operations=[],
        ),
    ]
