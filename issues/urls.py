from django.urls import path

from . import views

app_name = "issues"

REF = "<str:reference>"

urlpatterns = [
    path("", views.problem_list, name="list"),
    path("new/", views.problem_submit, name="submit"),
    path("register/", views.problem_register, name="register"),
    path("triage/", views.triage, name="triage"),
    path("extensions/", views.extension_list, name="extensions"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
    path("department/", views.department_desk, name="department"),
    path("escalations/", views.escalation_list, name="escalations"),
    path("files/<int:pk>/", views.attachment_download, name="attachment"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/badge/", views.notification_badge, name="notifications_badge"),
    path("notifications/read/", views.notification_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/outbox/", views.notification_outbox, name="outbox"),
    path("notifications/outbox/<int:pk>/retry/", views.notification_retry, name="outbox_retry"),
    path(f"{REF}/", views.problem_detail, name="detail"),
    path(f"{REF}/dispatch/", views.problem_dispatch, name="dispatch"),
    path(f"{REF}/reject/", views.problem_reject, name="reject"),
    path(f"{REF}/return/", views.problem_return, name="return"),
    path(f"{REF}/acknowledge/", views.problem_acknowledge, name="acknowledge"),
    path(f"{REF}/progress/", views.problem_progress, name="progress"),
    path(f"{REF}/extension/", views.problem_request_extension, name="request_extension"),
    path(f"{REF}/resolve/", views.problem_resolve, name="resolve"),
    path(f"{REF}/evaluate/", views.problem_evaluate, name="evaluate"),
    path(f"{REF}/instruct/", views.problem_instruct, name="instruct"),
    path(f"{REF}/assign/", views.problem_assign_handler, name="assign"),
    path(f"{REF}/attach/", views.problem_attach, name="attach"),
]
