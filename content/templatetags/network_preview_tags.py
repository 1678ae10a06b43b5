"""The LinkedIn and X previews of the post editor and of the share form, rendered on the server (static/js/preview.js
then keeps them live as one types)."""

from typing import Any

from django import template

from charter.compliance import rules_for, rules_for_member
from content.models import Post
from content.network_preview import PREVIEW_NETWORKS, network_previews

register = template.Library()


def _first_texts(texts: dict[str, list[str]]) -> dict[str, str]:
    """Per network, its first text; a network without one previews the first text of any (as the share form
    starts from)."""
    any_text = next((text for found in texts.values() for text in found), "")
    return {network.value: (texts.get(network.value) or [any_text])[0] for network in PREVIEW_NETWORKS}


@register.inclusion_tag("includes/network_preview.html", takes_context=True)
def editor_preview(context: dict[str, Any]) -> dict[str, Any]:
    """The editor's previews: the editor's own name, the texts typed in the variant boxes, the organisation's
    disclosure (programmes with rules of their own may add another: the share form shows the member's)."""
    texts: dict[str, list[str]] = {}
    for network, formset in context["variants"]:
        found = [str(form["text"].value() or "").strip() for form in formset]
        texts[network.value] = [text for text in found if text]
    post: Post | None = context.get("post")
    link = str(context["form"]["link"].value() or "")
    return {
        **network_previews(
            name=context["request"].user.display_name,
            texts=_first_texts(texts),
            rules=rules_for(organization=context["organization"]),
            link=link,
            stored=post.link_preview if post is not None else None,
        ),
        "texts": "textarea[data-network]",
        "link_input": f"#{context['form']['link'].id_for_label}",
    }


@register.inclusion_tag("includes/network_preview.html", takes_context=True)
def share_preview(context: dict[str, Any]) -> dict[str, Any]:
    """The share form's previews: the member's name, their text, the disclosure of the rules their share follows."""
    membership = context["membership"]
    post: Post = context["post"]
    text = str(context["form"]["text"].value() or "")
    return {
        **network_previews(
            name=membership.user.display_name,
            texts={network.value: text for network in PREVIEW_NETWORKS},
            # The composer read them already; the older share form did not.
            rules=context.get("rules") or rules_for_member(membership=membership, post=post),
            link=post.link,
            stored=post.link_preview,
        ),
        "texts": f"#{context['form']['text'].id_for_label}",
        "link_input": "",
    }
