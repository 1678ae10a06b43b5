from django.urls import path

from advocacy.views import organization

urlpatterns = [
    path("", organization.OrganizationHomeView.as_view(), name="org_home"),
]
