"""Every form field drawn with the design system's classes, whichever form or app (allauth included) renders it.

The classes are added where the widget's attributes are built, in Python: no widget template is overridden, so a
page with many fields costs no more to render than it did with Django's own markup.
"""

from typing import Any

from django import forms
from django.forms.renderers import TemplatesSetting

_SELECTS = (forms.Select, forms.SelectMultiple)
# A list of choices passes its attributes to its wrapper and to every option alike: no single class fits both, so
# the list is styled from the stylesheet (``.choices``) instead.
_UNSTYLED = (forms.HiddenInput, forms.MultipleHiddenInput, forms.RadioSelect, forms.CheckboxSelectMultiple)


def design_class(widget: forms.Widget) -> str:
    """The Bootstrap class of a widget's input: a check box, a select or any other control."""
    if isinstance(widget, _UNSTYLED):
        return ""
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, _SELECTS):
        return "form-select"
    return "form-control"


class DesignBoundField(forms.BoundField):
    def build_widget_attrs(self, attrs: dict[str, Any], widget: forms.Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        css = design_class(widget)
        if self.errors and css:
            css += " is-invalid"
        if css:
            attrs["class"] = f"{css} {attrs['class']}" if attrs.get("class") else css
        return attrs


class DesignFormRenderer(TemplatesSetting):
    """Django's widgets, our field layout (``templates/ui/field.html``) and classes."""

    bound_field_class = DesignBoundField
    field_template_name = "ui/field.html"
