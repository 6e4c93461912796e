"""Key task URLs."""

from django.urls import path

from . import views

app_name = "keytasks"

urlpatterns = [
    path("", views.task_list, name="task_list"),
    path("new/", views.task_create, name="task_create"),
    path("print/", views.year_print, name="year_print"),
    path("export.xlsx", views.year_xlsx, name="year_xlsx"),
    path("<int:pk>/", views.task_detail, name="task_detail"),
    path("<int:pk>/reports/", views.report_add, name="report_add"),
    path("<int:pk>/milestones/", views.milestone_add, name="milestone_add"),
    path(
        "<int:pk>/milestones/<int:milestone_pk>/done/",
        views.milestone_tick,
        name="milestone_tick",
    ),
    path("<int:pk>/done/", views.task_complete, name="task_complete"),
    path("<int:pk>/problems/", views.link_problem, name="link_problem"),
    path("<int:pk>/meetings/", views.link_meeting, name="link_meeting"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
]
