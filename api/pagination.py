"""Cursor pagination for the API's lists: newest first by id, stable while rows are added."""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

# A BigAutoField's largest value: a cursor pointing beyond it is not one we handed out.
MAX_ID = 2**63 - 1


class IdCursorPagination(CursorPagination):
    """`?cursor=` from the previous page's `next`; `?page_size=` up to 200.

    The position in a cursor is an id, checked before it reaches the database: a forged
    cursor holding text or a number past any id would make the comparison fail there.
    """

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        position = str(cursor.position)
        if not position.isdigit() or int(position) > MAX_ID:
            raise NotFound(self.invalid_cursor_message)
        return cursor
