"""The bell, the notifications page and the outbox page: included by issues/urls.py at
problems/notifications/, inside the issues namespace (issues:notifications, issues:outbox...)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.notification_list, name="notifications"),
    path("badge/", views.notification_badge, name="notifications_badge"),
    path("read/", views.notification_read_all, name="notifications_read_all"),
    path("<int:pk>/read/", views.notification_read, name="notification_read"),
    path("outbox/", views.notification_outbox, name="outbox"),
    path("outbox/<int:pk>/retry/", views.notification_retry, name="outbox_retry"),
    path(
        "outbox/send-again/",
        views.notification_send_again,
        name="outbox_send_again",
    ),
]
