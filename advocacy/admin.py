"""The staff admin: platform staff only, outside tenant scope (django-scopes #10). Comms admins use the app."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from advocacy.models import ApiToken, AuditEntry, Invitation, Membership, Organization, Programme, User
from advocacy.tenancy import scopes_disabled


def _unscoped(view: Any) -> Any:
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        with scopes_disabled():
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    return wrapper


class StaffAdminSite(admin.AdminSite):
    site_header = "Relais — platform staff"

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        return super().admin_view(_unscoped(view), cacheable)


site = StaffAdminSite(name="admin")


@admin.register(User, site=site)
class UserAdmin(DjangoUserAdmin[User]):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name", "language")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Organization, site=site)
class OrganizationAdmin(admin.ModelAdmin[Organization]):
    list_display = ["name", "slug", "language", "is_active", "created_at"]
    search_fields = ["name", "slug"]


@admin.register(Membership, site=site)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "organization", "role", "status"]
    list_filter = ["role", "status"]
    list_select_related = ["user", "organization"]
    raw_id_fields = ["user", "organization"]


@admin.register(Programme, site=site)
class ProgrammeAdmin(admin.ModelAdmin[Programme]):
    list_display = ["name", "organization"]
    list_select_related = ["organization"]


@admin.register(Invitation, site=site)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = ["email", "organization", "role", "expires_at", "accepted_at", "revoked_at"]
    exclude = ["token_digest"]
    list_select_related = ["organization"]


@admin.register(AuditEntry, site=site)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    list_display = ["created_at", "organization", "actor", "action", "object_type", "object_id"]
    list_select_related = ["organization", "actor"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken, site=site)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["name", "organization", "role", "hint", "created_at", "revoked_at"]
    exclude = ["token_digest"]
    list_select_related = ["organization"]
