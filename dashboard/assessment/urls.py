"""The assessment's pages, under /dashboard/assessment/ (namespace "assessment")."""

from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.ranking_page, name="ranking"),
    path("year/", views.year_page, name="year"),
    path("weights/", views.scheme_page, name="scheme"),
    path("export.xlsx", views.export_xlsx, name="xlsx"),
    path("<str:month>/recalculate/", views.recalculate, name="recalculate"),
    path(
        "<str:month>/department/<int:department_id>/<str:figure>/",
        views.problems_page,
        name="problems",
    ),
]
