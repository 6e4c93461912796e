"""Meetings views."""

urlpatterns: list = []
