"""The "Import from Excel" pages in the admin: their URLs and the index's entry.

The imports app has no models, so nothing is registered; the site's URLs are extended
instead (before the admin's own, so its catch-all does not take them) and the index
and the side navigation get an "Imports from Excel" section. The changelists of
enterprises, departments and users link here too (templates/admin/<app>/<model>/
change_list.html).
"""

from django.contrib import admin
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from liaison import permissions

from . import admin_views

_site_get_urls = admin.site.get_urls
_site_get_app_list = admin.site.get_app_list


def get_urls():
    view = admin.site.admin_view
    return [
        path("imports/", view(admin_views.import_page), name="imports_import"),
        path("imports/confirm/", view(admin_views.confirm_import), name="imports_confirm"),
        path(
            "imports/<slug:kind>/template.xlsx",
            view(admin_views.template_download),
            name="imports_template",
        ),
        path(
            "imports/<slug:kind>/export.xlsx",
            view(admin_views.export_download),
            name="imports_export",
        ),
    ] + _site_get_urls()


def get_app_list(request, app_label=None):
    app_list = _site_get_app_list(request, app_label)
    if app_label is None and permissions.can_import_records(request.user):
        url = reverse("admin:imports_import", current_app=admin.site.name)
        app_list.append(
            {
                "name": _("Imports from Excel"),
                "app_label": "imports",
                "app_url": url,
                "has_module_perms": True,
                "models": [
                    {
                        "model": None,
                        "name": _("Import from Excel"),
                        "object_name": "ImportFromExcel",
                        "perms": {"add": False, "change": True, "delete": False, "view": True},
                        "admin_url": url,
                        "add_url": None,
                        "view_only": False,
                    }
                ],
            }
        )
    return app_list


admin.site.get_urls = get_urls
admin.site.get_app_list = get_app_list
