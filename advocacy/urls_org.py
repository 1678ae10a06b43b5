from django.urls import path

from advocacy.views import media, members, organization, programmes

urlpatterns = [
    path("", organization.OrganizationHomeView.as_view(), name="org_home"),
    # Members and invitations
    path("members/", members.MemberListView.as_view(), name="members"),
    path("members/invite/", members.MemberInviteView.as_view(), name="member_invite"),
    path("members/<int:pk>/", members.MemberDetailView.as_view(), name="member_detail"),
    path("members/<int:pk>/role/", members.MemberChangeRoleView.as_view(), name="member_change_role"),
    path("members/<int:pk>/suspend/", members.MemberStatusView.as_view(suspend=True), name="member_suspend"),
    path("members/<int:pk>/reactivate/", members.MemberStatusView.as_view(suspend=False), name="member_reactivate"),
    path("members/<int:pk>/remove/", members.MemberRemoveView.as_view(), name="member_remove"),
    path("members/invitations/<int:pk>/revoke/", members.InvitationRevokeView.as_view(), name="invitation_revoke"),
    # Programmes; <member_pk> is the organisation membership's id
    path("programmes/", programmes.ProgrammeListView.as_view(), name="programmes"),
    path("programmes/new/", programmes.ProgrammeCreateView.as_view(), name="programme_create"),
    path("programmes/<int:pk>/", programmes.ProgrammeDetailView.as_view(), name="programme_detail"),
    path("programmes/<int:pk>/edit/", programmes.ProgrammeEditView.as_view(), name="programme_edit"),
    path("programmes/<int:pk>/delete/", programmes.ProgrammeDeleteView.as_view(), name="programme_delete"),
    path("programmes/<int:pk>/members/add/", programmes.ProgrammeMemberAddView.as_view(), name="programme_member_add"),
    path(
        "programmes/<int:pk>/members/<int:member_pk>/admin/",
        programmes.ProgrammeMemberAdminView.as_view(),
        name="programme_member_admin",
    ),
    path(
        "programmes/<int:pk>/members/<int:member_pk>/remove/",
        programmes.ProgrammeMemberRemoveView.as_view(),
        name="programme_member_remove",
    ),
    # Organisation settings
    path("settings/", organization.OrganizationSettingsView.as_view(), name="org_settings"),
    path("settings/api-tokens/", organization.ApiTokenListView.as_view(), name="api_tokens"),
    path("settings/api-tokens/<int:pk>/revoke/", organization.ApiTokenRevokeView.as_view(), name="api_token_revoke"),
    path("settings/audit/", organization.AuditLogView.as_view(), name="audit_log"),
    # Uploaded files (logos, post images): <path> is the file's name inside the organisation's folder
    path("media/<path:path>", media.serve, name="org_media"),
]
