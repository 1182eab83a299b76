"""``ApiToken.parent``: the token that minted this one (revocation cascades down the links).

A real schema change on the token table, which keeps its name ``api_apitoken``. Tokens created
before this migration have no recorded parent.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tokens", "0002_content_type_from_api"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="minted",
                to="tokens.apitoken",
            ),
        ),
    ]
