from django.db import migrations, models

# Any one of these lets Relais read a member's post counters, as ambassadors.providers said when this was written.
METRICS_SCOPES = {"linkedin": {"r_member_postAnalytics", "r_member_social"}, "x": {"tweet.read"}}


def mark_granted(apps, schema_editor):
    """Set ``metrics_granted`` from the scopes already stored, and stop waiting for figures that the connection's
    token cannot read (until now, LinkedIn consents never asked for them: each poll got 403)."""
    SocialConnection = apps.get_model("ambassadors", "SocialConnection")
    Share = apps.get_model("ambassadors", "Share")
    granted = [
        connection.pk
        for connection in SocialConnection.objects.only("provider", "scopes").iterator()
        if METRICS_SCOPES.get(connection.provider, set()) & set(connection.scopes or ())
    ]
    SocialConnection.objects.filter(pk__in=granted).update(metrics_granted=True)
    Share.objects.filter(metrics_state="polling", connection__isnull=False).exclude(connection__in=granted).update(
        metrics_state="not_granted", metrics_next_poll_at=None
    )


class Migration(migrations.Migration):
    dependencies = [
        ("ambassadors", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="socialconnection",
            name="metrics_granted",
            field=models.BooleanField(default=False),
        ),
        migrations.AlterField(
            model_name="share",
            name="metrics_state",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Not polled"),
                    ("polling", "Polled"),
                    ("done", "No longer polled"),
                    ("deleted", "Deleted on the network"),
                    ("unavailable", "Not available from the network"),
                    ("not_granted", "Not available: the app is not approved for them"),
                ],
                default="",
                max_length=16,
            ),
        ),
        migrations.RunPython(mark_granted, migrations.RunPython.noop),
    ]
