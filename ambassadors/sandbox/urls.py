"""/sandbox/linkedin/… and /sandbox/x/…: the fake networks of the embedded demo (404 unless RELAIS_SANDBOX_NETWORKS)."""

from django.urls import path

from ambassadors.sandbox import views

urlpatterns = [
    path("<str:network>/", views.sandbox, name="sandbox_root"),
    path("<str:network>/<path:path>", views.sandbox, name="sandbox"),
]
