"""What policy adds to the pages of the apps below it (registered in PolicyConfig.ready)."""

from __future__ import annotations

from liaison import permissions

from . import selectors


def enterprise_file_section(enterprise, user) -> dict | None:
    """The enterprise's file (service): the common problems its problems are linked to.

    Officials see them all; the enterprise's own users the published ones (under their
    published titles). One query.
    """
    is_enterprise = permissions.enterprise_id_of(user) is not None
    return {
        "template": "policy/_file_section.html",
        "is_enterprise": is_enterprise,
        "common_problems": selectors.linked_to_enterprise(
            enterprise.pk, published_only=is_enterprise
        ),
    }
