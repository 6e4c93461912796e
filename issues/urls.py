from django.urls import include, path

from notifications import urls as notification_urls

from . import views, views_callbacks, views_lists, views_merging
from .relief import views as relief_views

app_name = "issues"

REF = "<str:reference>"

urlpatterns = [
    path("", views_lists.problem_list, name="list"),
    path("new/", views.problem_submit, name="submit"),
    path("register/", views.problem_register, name="register"),
    path("triage/", views_lists.triage, name="triage"),
    path("extensions/", views_lists.extension_list, name="extensions"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
    path("department/", views_lists.department_desk, name="department"),
    path("escalations/", views_lists.escalation_list, name="escalations"),
    path("call-backs/", views_callbacks.callback_queue, name="callbacks"),
    path("files/<int:pk>/", views.attachment_download, name="attachment"),
    # The bell, the notifications page and the outbox (notifications.urls), named here.
    path("notifications/", include(notification_urls)),
    path(f"{REF}/", views.problem_detail, name="detail"),
    path(f"{REF}/dispatch-sheet/", views.dispatch_sheet, name="dispatch_sheet"),
    path(f"{REF}/dispatch/", views.problem_dispatch, name="dispatch"),
    path(f"{REF}/appeal-type/", views.problem_set_appeal_type, name="appeal_type"),
    path(f"{REF}/reject/", views.problem_reject, name="reject"),
    path(f"{REF}/return/", views.problem_return, name="return"),
    path(f"{REF}/acknowledge/", views.problem_acknowledge, name="acknowledge"),
    path(f"{REF}/progress/", views.problem_progress, name="progress"),
    path(f"{REF}/extension/", views.problem_request_extension, name="request_extension"),
    path(f"{REF}/resolve/", views.problem_resolve, name="resolve"),
    path(f"{REF}/evaluate/", views.problem_evaluate, name="evaluate"),
    path(f"{REF}/instruct/", views.problem_instruct, name="instruct"),
    path(f"{REF}/assign/", views.problem_assign_handler, name="assign"),
    path(f"{REF}/call-back/", views_callbacks.callback_page, name="callback"),
    path(f"{REF}/call-back/review/", views_callbacks.callback_review, name="callback_review"),
    path(f"{REF}/attach/", views.problem_attach, name="attach"),
    path(f"{REF}/relief/", relief_views.relief_edit, name="relief"),
    path(f"{REF}/merge/", views_merging.problem_merge, name="merge"),
    path(f"{REF}/unmerge/", views_merging.problem_unmerge, name="unmerge"),
]
