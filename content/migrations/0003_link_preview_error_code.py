"""A link preview's failure is stored as a message code and its parameters, worded when read in the reader's
language. Existing rows held the sentence in the language of the fetch: the known ones (English or French) become
their code; any other text stays in ``error`` and is shown as it is."""

import re

from django.db import migrations, models

# The sentences as they were stored, in English and in French, by message code (a snapshot: the code that made them
# is gone).
KNOWN = {
    "numeric_host": [
        "Numeric host addresses must be written in the usual dotted form.",
        "Les adresses IP numériques doivent être écrites sous la forme habituelle, avec des points.",
    ],
    "invalid": ["This is not a valid web address.", "Ce n’est pas une adresse web valide."],
    "scheme": ["Only http and https links are allowed.", "Seuls les liens http et https sont autorisés."],
    "credentials": [
        "Links with a user name or password are not allowed.",
        "Les liens contenant un nom d’utilisateur ou un mot de passe ne sont pas autorisés.",
    ],
    "port": [
        "Only the standard web ports (80 and 443) are allowed.",
        "Seuls les ports web standard (80 et 443) sont autorisés.",
    ],
    "address": [
        "This link points to a private or reserved network address.",
        "Ce lien pointe vers une adresse réseau privée ou réservée.",
    ],
    "dns": ["The site's name could not be found.", "Le nom du site est introuvable."],
    "timeout": ["The site took too long to answer.", "Le site a mis trop de temps à répondre."],
    "connection": ["The site could not be reached.", "Le site est injoignable."],
    "tls": [
        "The site's security certificate could not be verified.",
        "Le certificat de sécurité du site n’a pas pu être vérifié.",
    ],
    "redirects": ["The link redirects too many times.", "Le lien effectue trop de redirections."],
    "content_type_unknown": [
        "The link returned an unknown type of content, not a kind of page that can be read here.",
        "Le lien a renvoyé un type de contenu inconnu, qui n’est pas un type de page lisible ici.",
    ],
}
PATTERNS = [
    ("http_status", re.compile(r"^The page answered with HTTP status (?P<status>\d+)\.$"), int),
    ("http_status", re.compile(r"^La page a répondu avec le statut HTTP (?P<status>\d+)\.$"), int),
    ("content_type", re.compile(r"^The link returned (?P<type>\S+), not a kind of page that can be read here\.$"), str),
    (
        "content_type",
        re.compile(r"^Le lien a renvoyé (?P<type>\S+), qui n’est pas un type de page lisible ici\.$"),
        str,
    ),
]


def _code_of(text):
    for code, sentences in KNOWN.items():
        if text in sentences:
            return code, {}
    for code, pattern, convert in PATTERNS:
        match = pattern.match(text)
        if match:
            return code, {name: convert(value) for name, value in match.groupdict().items()}
    return None


def forwards(apps, schema_editor):
    LinkPreview = apps.get_model("content", "LinkPreview")
    # A historical model has Django's plain manager: every organisation's rows, outside any tenant scope.
    for preview in LinkPreview.objects.exclude(error="").only("pk", "error").iterator():
        found = _code_of(preview.error.strip())
        if found is not None:
            code, params = found
            LinkPreview.objects.filter(pk=preview.pk).update(error_code=code, error_params=params, error="")


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0002_post_confidential_until"),
    ]

    operations = [
        migrations.AddField(
            model_name="linkpreview",
            name="error_code",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AddField(
            model_name="linkpreview",
            name="error_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
