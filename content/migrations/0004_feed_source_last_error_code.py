"""A feed source's last failure is stored as a code and its parameters (content.feed_messages). Older rows keep
their sentence in ``last_error``, shown as it is."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0003_link_preview_error_code"),
    ]

    operations = [
        migrations.AddField(
            model_name="feedsource",
            name="last_error_code",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AddField(
            model_name="feedsource",
            name="last_error_params",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
