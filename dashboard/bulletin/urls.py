"""The bulletins' pages, under /bulletins/ (included by dashboard.urls)."""

from django.urls import path

from . import views

urlpatterns = [
    path("bulletins/", views.archive, name="bulletin_archive"),
    path("bulletins/generate/", views.generate, name="bulletin_generate"),
    path("bulletins/thresholds/", views.thresholds, name="bulletin_thresholds"),
    path("bulletins/<str:slug>/", views.detail, name="bulletin_detail"),
    path("bulletins/<str:slug>/export.xlsx", views.xlsx, name="bulletin_xlsx"),
    path("bulletins/<str:slug>/regenerate/", views.regenerate, name="bulletin_regenerate"),
    path("bulletins/<str:slug>/foreword/", views.foreword, name="bulletin_foreword"),
]
