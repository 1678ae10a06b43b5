"""The training pages: modules by level with completion marks, a module with its quiz, the module editor."""

import pytest

from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from charter.models import TrainingCompletion, TrainingModule
from tests.charter.factories import TrainingModuleFactory
from tests.conftest import org_url

DONE_BADGE = '<span class="badge badge-success"><i class="bi bi-check-circle-fill" aria-hidden="true"></i> Done</span>'

pytestmark = pytest.mark.django_db

QUIZ = [
    {"question": "Which is safer?", "choices": ["SMS", "An authenticator app"], "answer": 1},
    {"question": "May you share a draft price list?", "choices": ["Yes", "No"], "answer": 1},
    {"question": "Who is the referent?", "choices": ["The community manager", "Nobody"], "answer": 0},
]


@pytest.fixture
def module(personas):
    with organization_scope(personas.organization):
        return TrainingModuleFactory(organization=personas.organization, title="Secure your accounts", quiz=QUIZ)


def completed(personas, module) -> bool:
    with organization_scope(personas.organization):
        return TrainingCompletion.objects.filter(module=module, membership__user=personas.ambassador).exists()


@pytest.mark.parametrize("name", ["training", "training_edit"])
def test_an_outsider_gets_404_on_training_pages(client, personas, name):
    client.force_login(personas.outsider)
    assert client.get(org_url(name, personas)).status_code == 404


def test_modules_are_listed_by_level_with_completion_marks(client, personas, module):
    with organization_scope(personas.organization):
        TrainingModuleFactory(organization=personas.organization, title="Expert angles", level="expert", quiz=[])
        TrainingModuleFactory(organization=personas.organization, title="Hidden draft", published=False)
    client.force_login(personas.ambassador)
    page = client.get(org_url("training", personas)).content.decode()
    assert "Secure your accounts" in page and "Expert angles" in page and "Hidden draft" not in page
    assert (
        page.index("Novice") < page.index("Secure your accounts") < page.index("Expert") < page.index("Expert angles")
    )
    assert DONE_BADGE not in page


def test_an_unpublished_module_is_404_for_members(client, personas):
    with organization_scope(personas.organization):
        draft = TrainingModuleFactory(organization=personas.organization, published=False)
    client.force_login(personas.ambassador)
    assert client.get(org_url("training_module", personas, draft.pk)).status_code == 404


def test_the_quiz_shows_radio_groups_with_legends(client, personas, module):
    client.force_login(personas.ambassador)
    page = client.get(org_url("training_module", personas, module.pk)).content.decode()
    assert page.count('type="radio"') == 6
    assert "<legend>Question 2: May you share a draft price list?</legend>" in page


def test_an_incomplete_quiz_names_the_unanswered_questions_and_keeps_answers(client, personas, module):
    client.force_login(personas.ambassador)
    response = client.post(org_url("training_module", personas, module.pk), {"q0": "1"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Not answered: 2, 3." in body
    assert 'value="1" required' not in body  # radios stay optional: the service names what is missing
    assert 'name="q0" value="1" id="id_q0_1" checked' in body
    assert not completed(personas, module)


def test_wrong_answers_are_named(client, personas, module):
    client.force_login(personas.ambassador)
    response = client.post(org_url("training_module", personas, module.pk), {"q0": "0", "q1": "1", "q2": "0"})
    assert response.status_code == 400 and "question(s) 1" in response.content.decode()


def test_right_answers_complete_the_module(client, personas, module):
    client.force_login(personas.ambassador)
    response = client.post(org_url("training_module", personas, module.pk), {"q0": "1", "q1": "1", "q2": "0"})
    assert response.status_code == 302 and completed(personas, module)
    assert DONE_BADGE in client.get(org_url("training", personas)).content.decode()


def test_a_module_without_quiz_is_marked_done_in_one_click(client, personas):
    with organization_scope(personas.organization):
        plain = TrainingModuleFactory(organization=personas.organization, quiz=[])
    client.force_login(personas.ambassador)
    assert client.post(org_url("training_module", personas, plain.pk)).status_code == 302
    assert completed(personas, plain)


def test_a_choice_out_of_range_is_a_400_not_a_500(client, personas, module):
    client.force_login(personas.ambassador)
    response = client.post(org_url("training_module", personas, module.pk), {"q0": "7", "q1": "x", "q2": "0"})
    assert response.status_code == 400


@pytest.mark.parametrize("role", [Role.AMBASSADOR, Role.EDITOR, Role.MANAGER])
def test_only_admins_write_modules(client, personas, module, role):
    client.force_login(getattr(personas, role.value))
    assert client.get(org_url("training_edit", personas)).status_code == 403
    assert client.get(org_url("training_edit", personas, module.pk)).status_code == 403


QUIZ_TEXT = "Which is safer?\n- SMS\n* An authenticator app\n\nMay you share a draft?\n- Yes\n* No"


def test_an_admin_creates_a_module_with_a_typed_quiz(admin_client, personas):
    data = {"title": "Passwords", "level": "novice", "body": "Use a manager.", "quiz": QUIZ_TEXT, "position": "1"}
    data["published"] = "on"
    response = admin_client.post(org_url("training_edit", personas), data)
    assert response.status_code == 302
    with organization_scope(personas.organization):
        created = TrainingModule.objects.get(title="Passwords")
    assert created.quiz[0] == {"question": "Which is safer?", "choices": ["SMS", "An authenticator app"], "answer": 1}
    page = admin_client.get(org_url("training_edit", personas, created.pk)).content.decode()
    assert "* An authenticator app" in page


def test_a_malformed_quiz_is_a_field_error_keeping_the_text(admin_client, personas, module):
    data = {"title": "Kept", "level": "novice", "body": "Text", "quiz": "A question\n- only one", "position": "0"}
    response = admin_client.post(org_url("training_edit", personas, module.pk), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Question 1 needs at least two choices" in body and "Kept" in body and "only one" in body
