"""Forms of the charter and training pages. They validate input only; views hand ``cleaned_data`` to
``charter.services``. Plain forms, as in ``advocacy.forms``: invalid input never reaches the row being edited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from advocacy.query import QueryForm
from charter import selectors
from charter.models import CharterVersion, TrainingModule


class CharterDraftForm(forms.Form):
    # The body may be empty while drafting (start from the template, come back later); publishing refuses it.
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text (Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_("Headings start with #, lists with -, links are written [text](https://…)."),
    )
    summary_of_changes = forms.CharField(
        label=_("Summary of changes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown to members before they accept this version."),
    )
    requires_reacceptance = forms.BooleanField(
        label=_("Members must accept again"),
        required=False,
        initial=True,
        help_text=_("Leave unticked for a minor edit: earlier acceptances stay valid."),
    )


class AcceptForm(forms.Form):
    agree = forms.BooleanField(
        label=_("I have read the charter and I join the ambassador programme"),
        error_messages={"required": _("Tick the box to accept the charter.")},
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


REPORT_STATES = [("", _("All members")), *((state, label) for state, label in selectors.STATE_LABELS.items())]


class VersionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: CharterVersion) -> str:
        return gettext("Version %(number)s") % {"number": obj.number}


class ReportFilterForm(QueryForm):
    state = forms.ChoiceField(label=_("Status"), required=False, choices=REPORT_STATES)
    version = VersionChoiceField(
        label=_("Measured against version"),
        required=False,
        queryset=CharterVersion.objects.none(),
        empty_label=_("The current version"),
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=150)

    def __init__(self, *args: Any, versions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["version"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = versions


QUIZ_HELP = _(
    "One question per paragraph: the question on its first line, then one line per choice starting with “- ”; "
    "start the right choice with “* ” instead. Leave empty for no quiz."
)


def parse_quiz(text: str) -> list[dict[str, Any]]:
    """The quiz as typed (see ``QUIZ_HELP``) → the model's list of ``{"question", "choices", "answer"}``."""
    quiz = []
    for number, block in enumerate((b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()), start=1):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        question, answer = lines[0], None
        choices: list[str] = []
        for line in lines[1:]:
            if line[:2] not in ("- ", "* "):
                raise forms.ValidationError(
                    gettext("Question %(number)s: each choice starts with “- ” or “* ”.") % {"number": number}
                )
            if line.startswith("* "):
                answer = len(choices)
            choices.append(line[2:].strip())
        if len(choices) < 2 or answer is None:
            raise forms.ValidationError(
                gettext("Question %(number)s needs at least two choices, one of them marked with “* ”.")
                % {"number": number}
            )
        quiz.append({"question": question, "choices": choices, "answer": answer})
    return quiz


def format_quiz(quiz: list[dict[str, Any]]) -> str:
    """The model's quiz back into the typed form, to edit it."""
    blocks = []
    for item in quiz or []:
        lines = [str(item.get("question", ""))]
        for index, choice in enumerate(item.get("choices", [])):
            lines.append(("* " if index == item.get("answer") else "- ") + str(choice))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


class TrainingModuleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    level = forms.ChoiceField(label=_("Level"), choices=TrainingModule.Level.choices)
    body = forms.CharField(label=_("Text (Markdown)"), widget=forms.Textarea(attrs={"rows": 14}))
    quiz = forms.CharField(
        label=_("Quiz"), required=False, widget=forms.Textarea(attrs={"rows": 8}), help_text=QUIZ_HELP
    )
    position = forms.IntegerField(
        label=_("Position in its level"), min_value=0, max_value=32767, initial=0, help_text=_("Smaller comes first.")
    )
    published = forms.BooleanField(label=_("Published (members see it)"), required=False, initial=True)

    def clean_quiz(self) -> list[dict[str, Any]]:
        return parse_quiz(self.cleaned_data["quiz"])


class QuizForm(forms.Form):
    """One radio group per question. Unanswered questions are not field errors here: the service names them."""

    def __init__(self, *args: Any, quiz: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for index, item in enumerate(quiz):
            self.fields[f"q{index}"] = forms.ChoiceField(
                label=item["question"],
                required=False,
                widget=forms.RadioSelect,
                choices=[(str(n), choice) for n, choice in enumerate(item["choices"])],
            )

    def answers(self) -> list[int | None]:
        return [
            int(self.cleaned_data[name]) if self.cleaned_data.get(name) not in (None, "") else None
            for name in self.fields
        ]
