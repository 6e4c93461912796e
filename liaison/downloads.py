"""Serving an uploaded file back: one way for every app (problem and key-task attachments).

The caller checks who may see the file; this sends it as an attachment (never shown
inline), with the type recorded at upload and `nosniff`, so a browser does not guess
another type from the content.
"""

from __future__ import annotations

from pathlib import Path

from django.http import FileResponse, Http404


def stored_file_download(path: Path, *, filename: str, content_type: str) -> FileResponse:
    """The file at `path` as a download named `filename`; 404 if it is no longer stored."""
    if not path.exists():
        raise Http404
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
