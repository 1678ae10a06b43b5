"""The ways around the tenant scope stay rare and grep-able (security-and-reliability.md §1.2 and §1.4).

Only the modules below may name ``scopes_disabled``, ``with_scopes_disabled``, ``_base_manager`` or
``django_scopes``. And the organisation always comes from the URL, never from the session.
"""

import io
import re
import tokenize
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRECTORIES = {".venv", "venv", "var", ".git", "node_modules", "static", "media", "__pycache__"}
ESCAPES = {"scopes_disabled", "with_scopes_disabled", "_base_manager", "django_scopes"}

ALLOWED = [
    "advocacy/tenancy.py",  # the tenancy core itself
    "advocacy/admin.py",  # the staff-only admin runs outside any scope
    "*/migrations/*",
    "*/management/commands/*",
    "tests/*",
    # Cross-tenant beat ticks: list each module explicitly when it exists (they only list (id, organization_id)
    # pairs under scopes_disabled() and enqueue one TenantTask per organisation), e.g. "ambassadors/ticks.py".
    "content/ticks.py",  # the cross-tenant feed tick: lists due (source_id, organization_id) pairs
    "analytics/ticks.py",  # weekly summaries due, dashboard readers without one: (membership_id, organization_id)
    "ambassadors/ticks/*.py",  # due shares, stuck publishes, token refreshes, metrics polls: (id, organization_id)
]

SESSION_ORGANIZATION = re.compile(
    r"session\s*(?:\[|\.get\(|\.setdefault\(|\.pop\()\s*[\"'][^\"']*(?:org|organi[sz]ation)", re.IGNORECASE
)


def _python_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if not SKIPPED_DIRECTORIES.intersection(relative.parts[:-1]):
            files.append(relative)
    return sorted(files)


def _escape_names(source: str) -> set[str]:
    """The escape hatches named in code (identifiers and attribute names, or a string naming one, as for getattr)."""
    found = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and token.string in ESCAPES:
            found.add(token.string)
        elif token.type == tokenize.STRING and token.string.strip("\"'") in ESCAPES:
            found.add(token.string.strip("\"'"))
    return found


def _allowed(relative: Path) -> bool:
    return any(fnmatch(relative.as_posix(), pattern) for pattern in ALLOWED)


def test_the_scan_sees_the_project_and_not_the_virtualenv():
    files = {path.as_posix() for path in _python_files()}
    assert "advocacy/tenancy.py" in files
    assert "advocacy/models.py" in files
    assert not any(name.startswith((".venv/", "var/")) for name in files)


def test_the_scan_recognises_an_escape_in_code_but_not_in_comments():
    assert _escape_names("with scopes_disabled():\n    pass\n") == {"scopes_disabled"}
    assert _escape_names("Post._base_manager.all()\n") == {"_base_manager"}
    assert _escape_names("getattr(Post, '_base_manager')\n") == {"_base_manager"}
    assert _escape_names("# never call scopes_disabled here\nx = 1\n") == set()


def test_scope_escape_hatches_appear_only_in_allowed_modules():
    offenders = {}
    for relative in _python_files():
        if _allowed(relative):
            continue
        names = _escape_names((ROOT / relative).read_text(encoding="utf-8"))
        if names:
            offenders[relative.as_posix()] = sorted(names)
    assert offenders == {}, (
        f"Scope escape hatches outside the allow-list: {offenders}. Enter a scope with organization_scope(); "
        "a cross-tenant tick module must be added to ALLOWED explicitly."
    )


def test_the_organisation_never_comes_from_the_session():
    assert SESSION_ORGANIZATION.search('org = request.session["organization_id"]')
    assert SESSION_ORGANIZATION.search("request.session.get('current_org')")
    offenders = []
    for relative in _python_files():
        for number, line in enumerate((ROOT / relative).read_text(encoding="utf-8").splitlines(), start=1):
            if SESSION_ORGANIZATION.search(line) and not relative.as_posix().endswith("test_scope_escapes.py"):
                offenders.append(f"{relative.as_posix()}:{number}: {line.strip()}")
    assert offenders == [], "The organisation comes from the URL, never the session:\n" + "\n".join(offenders)
