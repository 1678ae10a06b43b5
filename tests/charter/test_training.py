"""Training modules: quiz shape, completion with incomplete, wrong and right answers, seed, next module."""

import pytest

from advocacy.errors import ServiceError
from advocacy.tenancy import organization_scope
from charter.models import TrainingCompletion, TrainingModule
from charter.selectors import next_training_module, training_modules
from charter.services import training_complete, training_module_save, training_seed
from tests.charter.factories import TrainingModuleFactory

pytestmark = pytest.mark.django_db

QUIZ = [
    {"question": "Which is safer?", "choices": ["SMS", "An authenticator app"], "answer": 1},
    {"question": "Share a customer's name?", "choices": ["No", "Yes"], "answer": 0},
    {"question": "Copy the text word for word?", "choices": ["Yes", "No"], "answer": 1},
]


def _module(personas, **kwargs):
    values = {"level": "novice", "title": "Security", "body": "Use two-factor.", "quiz": QUIZ, **kwargs}
    return training_module_save(organization=personas.organization, by=personas.admin, **values)


@pytest.mark.parametrize(
    "quiz",
    [
        [{"question": "", "choices": ["a", "b"], "answer": 0}],
        [{"question": "Q", "choices": ["only one"], "answer": 0}],
        [{"question": "Q", "choices": ["a", "b"], "answer": 2}],
        [{"question": "Q", "choices": ["a", "b"], "answer": True}],
        ["not a dict"],
    ],
)
def test_a_badly_shaped_quiz_is_refused(scoped, quiz):
    with pytest.raises(ServiceError) as refused:
        _module(scoped, quiz=quiz)
    assert (refused.value.field, refused.value.code) == ("quiz", "invalid_quiz")
    assert "Question 1" in refused.value.message


def test_an_incomplete_answer_set_names_the_unanswered_questions(scoped):
    module = _module(scoped)
    with pytest.raises(ServiceError) as refused:
        training_complete(module=module, membership=scoped.membership(scoped.ambassador), answers=[1, None])
    assert refused.value.code == "incomplete"
    assert "Not answered: 2, 3." in refused.value.message
    assert not TrainingCompletion.objects.exists()


def test_wrong_answers_are_named(scoped):
    module = _module(scoped)
    with pytest.raises(ServiceError) as refused:
        training_complete(module=module, membership=scoped.membership(scoped.ambassador), answers=[0, 0, 0])
    assert refused.value.code == "wrong_answers"
    assert "question(s) 1, 3." in refused.value.message
    assert not TrainingCompletion.objects.exists()


def test_right_answers_complete_the_module_once(scoped):
    module = _module(scoped)
    membership = scoped.membership(scoped.ambassador)
    completion = training_complete(module=module, membership=membership, answers=[1, 0, 1])
    assert training_complete(module=module, membership=membership, answers=None) == completion
    assert TrainingCompletion.objects.count() == 1


def test_a_module_without_quiz_completes_without_answers(scoped):
    module = _module(scoped, quiz=[])
    assert training_complete(module=module, membership=scoped.membership(scoped.ambassador)).module == module


def test_an_unpublished_module_cannot_be_completed(scoped):
    module = _module(scoped, published=False)
    with pytest.raises(ServiceError) as refused:
        training_complete(module=module, membership=scoped.membership(scoped.ambassador), answers=[1, 0, 1])
    assert refused.value.code == "unavailable"


def test_the_seed_gives_four_modules_in_the_organisation_language_once(scoped):
    scoped.organization.language = "fr"
    scoped.organization.save()
    modules = training_seed(organization=scoped.organization)
    assert [module.title for module in modules] == [
        "Optimiser votre profil LinkedIn",
        "Écrire avec votre regard personnel",
        "Ce qu'il ne faut jamais partager",
        "Sécuriser vos comptes",
    ]
    assert all(module.quiz for module in modules)
    assert training_seed(organization=scoped.organization) == modules
    assert TrainingModule.objects.count() == 4


def test_novices_see_their_next_module_in_order(scoped):
    first, second = training_seed(organization=scoped.organization)[:2]
    TrainingModuleFactory(organization=scoped.organization, level="expert", title="Advanced analytics")
    membership = scoped.membership(scoped.ambassador)
    assert next_training_module(membership=membership) == first
    answers = [item["answer"] for item in first.quiz]
    training_complete(module=first, membership=membership, answers=answers)
    assert next_training_module(membership=membership) == second
    assert training_modules(organization=scoped.organization, level="expert").count() == 1


def test_the_other_organisation_sees_no_module(personas):
    with organization_scope(personas.organization):
        training_seed(organization=personas.organization)
    with organization_scope(personas.other_organization):
        assert training_modules(organization=personas.other_organization).count() == 0
