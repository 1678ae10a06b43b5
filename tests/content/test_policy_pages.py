"""Approval policy pages (admins only): ordered steps with a role or named approvers, "no approval", one default,
optional programme, delete with confirmation, and field errors for what does not make sense."""

import pytest

from advocacy.tenancy import organization_scope
from content.models import ApprovalPolicy
from tests.conftest import org_url
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


def _data(name="Legal then comms", mode="steps", is_default=False, programme="", steps=()):
    data = {
        "name": name,
        "mode": mode,
        "programme": programme,
        "steps-TOTAL_FORMS": str(max(len(steps), 2)),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "20",
    }
    if is_default:
        data["is_default"] = "on"
    for index, step in enumerate(steps):
        for key, value in step.items():
            data[f"steps-{index}-{key}"] = value
    return data


def _policies(personas):
    with organization_scope(personas.organization):
        return list(ApprovalPolicy.objects.prefetch_related("steps__approvers").order_by("name"))


def test_an_admin_creates_a_policy_whose_steps_follow_their_numbers(admin_client, personas):
    approver = personas.membership(personas.approver)
    steps = [
        {"position": "2", "name": "Comms", "approver_role": "editor"},
        {"position": "1", "name": "Legal", "approvers": [str(approver.pk)]},
    ]

    response = admin_client.post(org_url("approval_policy_create", personas), _data(is_default=True, steps=steps))

    assert response.status_code == 302
    [policy] = _policies(personas)
    assert policy.is_default and policy.requires_approval
    ordered = sorted(policy.steps.all(), key=lambda step: step.position)
    assert [step.name for step in ordered] == ["Legal", "Comms"]
    assert [m.pk for m in ordered[0].approvers.all()] == [approver.pk]
    assert ordered[1].approver_role == "editor"


def test_the_list_marks_the_default_and_programme_policies(admin_client, personas):
    with organization_scope(personas.organization):
        programme = ProgrammeFactory(organization=personas.organization, name="Careers")
    admin_client.post(
        org_url("approval_policy_create", personas),
        _data(name="Standard", is_default=True, steps=[{"name": "Legal", "approver_role": "approver"}]),
    )
    admin_client.post(
        org_url("approval_policy_create", personas), _data(name="Careers posts", mode="none", programme=programme.pk)
    )

    body = admin_client.get(org_url("approval_policies", personas)).content.decode()

    assert "Standard" in body and "Default" in body
    assert "Programme: Careers" in body
    assert "No approval: posts are approved as soon as they are submitted." in body


def test_no_approval_saves_a_policy_without_steps(admin_client, personas):
    response = admin_client.post(
        org_url("approval_policy_create", personas),
        _data(name="Trusted", mode="none", steps=[{"name": "Ignored", "approver_role": "approver"}]),
    )

    assert response.status_code == 302
    [policy] = _policies(personas)
    assert policy.requires_approval is False
    assert list(policy.steps.all()) == []


def test_an_approval_policy_needs_a_step(admin_client, personas):
    response = admin_client.post(org_url("approval_policy_create", personas), _data(name="Empty"))

    assert response.status_code == 400
    assert "Add at least one step" in str(response.context["form"].errors["mode"])
    assert 'value="Empty"' in response.content.decode()
    assert _policies(personas) == []


def test_a_step_needs_a_role_or_members(admin_client, personas):
    response = admin_client.post(
        org_url("approval_policy_create", personas), _data(steps=[{"position": "1", "name": "Legal"}])
    )

    assert response.status_code == 400
    errors = response.context["steps"].forms[0].errors
    assert "Choose a role or at least one member" in str(errors["approver_role"])
    assert 'value="Legal"' in response.content.decode()


def test_ticking_default_on_a_second_policy_moves_the_default(admin_client, personas):
    step = [{"name": "Legal", "approver_role": "approver"}]
    admin_client.post(org_url("approval_policy_create", personas), _data(name="First", is_default=True, steps=step))

    response = admin_client.post(
        org_url("approval_policy_create", personas), _data(name="Second", is_default=True, steps=step)
    )

    assert response.status_code == 302
    assert [(p.name, p.is_default) for p in _policies(personas)] == [("First", False), ("Second", True)]


def test_unticking_the_only_default_is_a_field_error(admin_client, personas):
    step = [{"position": "1", "name": "Legal", "approver_role": "approver"}]
    admin_client.post(org_url("approval_policy_create", personas), _data(name="First", is_default=True, steps=step))
    [policy] = _policies(personas)

    response = admin_client.post(org_url("approval_policy_edit", personas, policy.pk), _data(name="First", steps=step))

    assert response.status_code == 400
    assert "Make another policy the default instead" in str(response.context["form"].errors["is_default"])


def test_a_member_of_another_organisation_is_not_a_valid_approver(admin_client, personas):
    from advocacy.models import Membership

    with organization_scope(personas.other_organization):
        foreign = Membership.objects.get(user=personas.outsider)

    response = admin_client.post(
        org_url("approval_policy_create", personas), _data(steps=[{"name": "Legal", "approvers": [str(foreign.pk)]}])
    )

    assert response.status_code == 400
    assert response.context["steps"].forms[0].errors["approvers"]


def test_editing_a_policy_shows_its_steps_and_saves_changes(admin_client, personas):
    admin_client.post(
        org_url("approval_policy_create", personas),
        _data(name="Standard", steps=[{"position": "1", "name": "Legal", "approver_role": "approver"}]),
    )
    [policy] = _policies(personas)
    url = org_url("approval_policy_edit", personas, policy.pk)

    page = admin_client.get(url).content.decode()
    assert 'value="Legal"' in page

    steps = [
        {"position": "1", "name": "Legal", "approver_role": "approver"},
        {"position": "2", "name": "Comms", "approver_role": "admin"},
    ]
    response = admin_client.post(url, _data(name="Standard v2", steps=steps))

    assert response.status_code == 302
    [policy] = _policies(personas)
    assert policy.name == "Standard v2"
    assert [step.name for step in sorted(policy.steps.all(), key=lambda s: s.position)] == ["Legal", "Comms"]


def test_deleting_a_policy_asks_first(admin_client, personas):
    admin_client.post(org_url("approval_policy_create", personas), _data(name="Old", mode="none"))
    [policy] = _policies(personas)
    url = org_url("approval_policy_delete", personas, policy.pk)

    assert "Delete the policy “Old”?" in admin_client.get(url).content.decode()
    assert admin_client.post(url).status_code == 302
    assert _policies(personas) == []


@pytest.mark.parametrize("role", ["editor", "approver", "manager", "ambassador"])
def test_only_admins_manage_policies(client, personas, role):
    client.force_login(getattr(personas, role))

    assert client.get(org_url("approval_policies", personas)).status_code == 403
    assert client.post(org_url("approval_policy_create", personas), _data(mode="none")).status_code == 403
