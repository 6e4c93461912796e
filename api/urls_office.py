"""/integrations/: the office's pages for the API's clients and their webhooks."""

from django.urls import path

from . import views_office, views_office_webhooks

app_name = "integrations"

urlpatterns = [
    path("clients/", views_office.client_list, name="client_list"),
    path("clients/new/", views_office.client_create, name="client_create"),
    path("clients/<int:pk>/", views_office.client_detail, name="client_detail"),
    path("clients/<int:pk>/edit/", views_office.client_edit, name="client_edit"),
    path("clients/<int:pk>/revoke/", views_office.client_revoke, name="client_revoke"),
    # Webhooks.
    path(
        "clients/<int:pk>/webhooks/new/",
        views_office_webhooks.subscription_create,
        name="subscription_create",
    ),
    path(
        "webhooks/<int:pk>/", views_office_webhooks.subscription_detail, name="subscription_detail"
    ),
    path(
        "webhooks/<int:pk>/secret/",
        views_office_webhooks.subscription_rotate_secret,
        name="subscription_rotate_secret",
    ),
    path(
        "webhooks/<int:pk>/enable/",
        views_office_webhooks.subscription_enable,
        name="subscription_enable",
    ),
    path(
        "webhooks/<int:pk>/disable/",
        views_office_webhooks.subscription_disable,
        name="subscription_disable",
    ),
    path(
        "webhooks/<int:pk>/delete/",
        views_office_webhooks.subscription_delete,
        name="subscription_delete",
    ),
    path("deliveries/", views_office_webhooks.delivery_list, name="delivery_list"),
    path("deliveries/<uuid:pk>/", views_office_webhooks.delivery_detail, name="delivery_detail"),
    path(
        "deliveries/<uuid:pk>/send-again/",
        views_office_webhooks.delivery_send_again,
        name="delivery_send_again",
    ),
]
