from django.views.generic import TemplateView

from advocacy.views.base import OrganizationPermissionMixin


class OrganizationHomeView(OrganizationPermissionMixin, TemplateView):
    permission = "organization.view"
    template_name = "organization/home.html"
