from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_page, name="page"),
    path("export.xlsx", views.audit_xlsx, name="xlsx"),
]
