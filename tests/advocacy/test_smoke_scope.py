import pytest

from advocacy.models import Membership
from advocacy.tenancy import ScopeError


def test_members_are_invisible_outside_a_scope(personas):
    with pytest.raises(ScopeError):
        Membership.objects.count()


def test_scope_shows_only_its_organisation(scoped):
    assert set(Membership.objects.values_list("organization_id", flat=True)) == {scoped.organization.pk}
