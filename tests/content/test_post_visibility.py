"""The one rule for who may see a post (``content.selectors.posts_visible_to``): each role against every kind of
post, the database twin of ``Post.is_live_at``, and a member of another organisation who sees nothing.

The posts below are shared with the walk over every route that takes a post id (``test_post_routes``).
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.models import Membership
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from content import selectors
from content.models import ApprovalStepApprover, Post, PostProgramme
from tests.content.factories import ApprovalPolicyFactory, ApprovalStepFactory, PostFactory
from tests.factories import ProgrammeFactory, ProgrammeMemberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.tenancy]

# Kinds of post no ambassador or manager may see, and those an approver may not see either.
HIDDEN_FROM_MEMBERS = (
    "draft",
    "in_review",
    "embargoed",
    "expired",
    "not_yet_published",
    "withdrawn",
    "other_programme",
    "other_language",
)
HIDDEN_FROM_APPROVERS = ("draft", "in_review", "embargoed", "expired", "not_yet_published", "withdrawn")


@dataclass
class Library:
    posts: dict[str, Post]

    def pks(self, *kinds: str) -> set[int]:
        return {self.posts[kind].pk for kind in kinds}


def build_library(personas) -> Library:
    """Acme's posts of every kind. The ambassador is in "Sales", the manager in no programme; both read English (the
    organisation's language in tests). ``in_review`` waits at a step that names the admin only."""
    organization = personas.organization
    now = timezone.now()
    with organization_scope(organization):
        sales = ProgrammeFactory(organization=organization, name="Sales", slug="sales")
        legal = ProgrammeFactory(organization=organization, name="Legal", slug="legal")
        ambassador = Membership.objects.get(user=personas.ambassador)
        ProgrammeMemberFactory(programme=sales, membership=ambassador, organization=organization)
        policy = ApprovalPolicyFactory(organization=organization, name="Board")
        step = ApprovalStepFactory(policy=policy, organization=organization, approver_role="")
        ApprovalStepApprover.objects.create(
            organization=organization, step=step, membership=Membership.objects.get(user=personas.admin)
        )

        def post(title: str, **fields) -> Post:
            fields.setdefault("status", Post.Status.APPROVED)
            return PostFactory(organization=organization, author=personas.editor, title=title, **fields)

        posts = {
            "live": post("Live for everyone"),
            "for_sales": post("Live for sales"),
            "in_their_language": post("Live in two languages", languages=["en", "fr"]),
            "draft": post("Secret draft", status=Post.Status.DRAFT),
            "in_review": post("Board review", status=Post.Status.IN_REVIEW, policy=policy, current_step=step),
            "embargoed": post("Embargoed results", confidential_until=now + timedelta(days=3)),
            "expired": post("Old news", publish_at=now - timedelta(days=9), expires_at=now - timedelta(days=1)),
            "not_yet_published": post("Tomorrow's news", publish_at=now + timedelta(days=1)),
            "withdrawn": post("Withdrawn news", status=Post.Status.WITHDRAWN),
            "other_programme": post("Legal only"),
            "other_language": post("French only", languages=["fr"]),
        }
        PostProgramme.objects.create(organization=organization, post=posts["for_sales"], programme=sales)
        PostProgramme.objects.create(organization=organization, post=posts["other_programme"], programme=legal)
    return Library(posts=posts)


@pytest.fixture
def library(personas) -> Library:
    return build_library(personas)


def _visible(personas, user) -> set[int]:
    with organization_scope(personas.organization):
        membership = Membership.objects.get(user=user)
        return set(selectors.posts_visible_to(membership=membership).values_list("pk", flat=True))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EDITOR])
def test_admins_and_editors_see_every_post(personas, library, role):
    assert _visible(personas, getattr(personas, role.value)) == library.pks(*library.posts)


def test_an_approver_sees_every_live_post_and_the_reviews_they_take_part_in(personas, library):
    everything = set(library.posts)
    assert _visible(personas, personas.approver) == library.pks(*(everything - set(HIDDEN_FROM_APPROVERS)))

    with organization_scope(personas.organization):
        post = library.posts["in_review"]
        step = post.current_step
        ApprovalStepApprover.objects.create(
            organization=personas.organization, step=step, membership=Membership.objects.get(user=personas.approver)
        )
    assert post.pk in _visible(personas, personas.approver)


def test_an_ambassador_sees_only_the_live_posts_meant_for_their_programme_and_language(personas, library):
    assert _visible(personas, personas.ambassador) == library.pks("live", "for_sales", "in_their_language")


def test_a_manager_outside_every_programme_sees_the_live_posts_for_everyone(personas, library):
    assert _visible(personas, personas.manager) == library.pks("live", "in_their_language")


def test_a_member_reading_french_sees_the_french_posts_too(personas, library):
    personas.ambassador.language = "fr"
    personas.ambassador.save(update_fields=["language"])
    assert _visible(personas, personas.ambassador) == library.pks(
        "live", "for_sales", "in_their_language", "other_language"
    )


@pytest.fixture
def in_languages(personas) -> dict[str, Post]:
    """Live posts for everyone but for their languages: English only, French only, German only, and without any."""
    organization = personas.organization
    with organization_scope(organization):
        return {
            code: PostFactory(
                organization=organization,
                author=personas.editor,
                status=Post.Status.APPROVED,
                title=f"Only in {code or 'any language'}",
                languages=[code] if code else [],
            )
            for code in ("en", "fr", "de", "")
        }


def _choose(personas, user, languages: list[str]) -> None:
    with organization_scope(personas.organization):
        Membership.objects.filter(user=user).update(languages=languages)


def _visible_of(personas, user, posts: dict[str, Post]) -> set[str]:
    pks = _visible(personas, user)
    return {code for code, post in posts.items() if post.pk in pks}


def test_a_member_sees_the_posts_in_each_language_they_chose_and_no_other(personas, in_languages):
    _choose(personas, personas.ambassador, ["en", "fr"])
    assert _visible_of(personas, personas.ambassador, in_languages) == {"en", "fr", ""}

    # Their choice replaces the language they read Relais in (English).
    _choose(personas, personas.ambassador, ["fr"])
    assert _visible_of(personas, personas.ambassador, in_languages) == {"fr", ""}


def test_a_member_who_chose_no_language_is_offered_the_posts_in_the_language_they_read(personas, in_languages):
    assert _visible_of(personas, personas.ambassador, in_languages) == {"en", ""}

    personas.ambassador.language = "fr"
    personas.ambassador.save(update_fields=["language"])
    assert _visible_of(personas, personas.ambassador, in_languages) == {"fr", ""}


def test_a_post_without_languages_is_meant_for_every_member(personas, in_languages):
    _choose(personas, personas.ambassador, ["fr"])
    personas.manager.language = "fr"
    personas.manager.save(update_fields=["language"])
    for user in (personas.ambassador, personas.manager, personas.approver):
        assert in_languages[""].pk in _visible(personas, user)


def test_languages_chosen_in_another_organisation_show_none_of_these_posts(personas, in_languages):
    with organization_scope(personas.other_organization):
        outsider = Membership.objects.get(user=personas.outsider)
        Membership.objects.filter(pk=outsider.pk).update(languages=["en", "fr"])
        outsider.refresh_from_db()
        pks = [post.pk for post in in_languages.values()]
        assert not selectors.posts_visible_to(membership=outsider).filter(pk__in=pks).exists()
        with pytest.raises(Post.DoesNotExist):
            selectors.post_detail(membership=outsider, pk=in_languages["fr"].pk)


def test_a_suspended_member_sees_nothing(personas, library):
    with organization_scope(personas.organization):
        Membership.objects.filter(user=personas.editor).update(status=Membership.Status.SUSPENDED)
    assert _visible(personas, personas.editor) == set()


def test_a_member_of_another_organisation_sees_none_of_these_posts(personas, library):
    with organization_scope(personas.other_organization):
        outsider = Membership.objects.get(user=personas.outsider)
        assert not selectors.posts_visible_to(membership=outsider).filter(pk__in=library.pks(*library.posts)).exists()
        with pytest.raises(Post.DoesNotExist):
            selectors.post_detail(membership=outsider, pk=library.posts["live"].pk)


def test_the_live_filter_and_is_live_at_agree_on_every_kind_of_post(personas, library):
    for moment in (timezone.now(), timezone.now() + timedelta(days=2), timezone.now() + timedelta(days=5)):
        with organization_scope(personas.organization):
            filtered = set(Post.objects.filter(Post.live_filter(moment)).values_list("pk", flat=True))
            rowwise = {post.pk for post in Post.objects.all() if post.is_live_at(moment)}
        assert filtered == rowwise


def test_an_embargo_keeps_a_post_out_of_the_feed_until_its_date(personas, library):
    post = library.posts["embargoed"]
    assert not post.is_live_at()
    assert post.is_live_at(post.confidential_until)
