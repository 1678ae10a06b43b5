from django.db import migrations


def to_membership(apps, schema_editor):
    """The languages a member chose on their profile become their membership's, which targeting reads."""
    AmbassadorProfile = apps.get_model("ambassadors", "AmbassadorProfile")
    Membership = apps.get_model("advocacy", "Membership")
    for membership_id, languages in (
        AmbassadorProfile.objects.exclude(languages=[]).values_list("membership_id", "languages").iterator()
    ):
        Membership.objects.filter(pk=membership_id).update(languages=languages)


def to_profile(apps, schema_editor):
    AmbassadorProfile = apps.get_model("ambassadors", "AmbassadorProfile")
    Membership = apps.get_model("advocacy", "Membership")
    for membership_id, languages in Membership.objects.exclude(languages=[]).values_list("pk", "languages").iterator():
        AmbassadorProfile.objects.filter(membership_id=membership_id).update(languages=languages)


class Migration(migrations.Migration):
    dependencies = [
        ("advocacy", "0007_membership_languages"),
        ("ambassadors", "0007_profiles_offers_and_webhooks"),
    ]

    operations = [
        migrations.RunPython(to_membership, to_profile),
        migrations.RemoveField(
            model_name="ambassadorprofile",
            name="languages",
        ),
    ]
