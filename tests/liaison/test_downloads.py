"""liaison.downloads: how every app sends a stored file back."""

from __future__ import annotations

import pytest
from django.http import Http404

from liaison.downloads import stored_file_download


def test_it_sends_the_file_as_an_attachment_of_the_recorded_type(tmp_path):
    path = tmp_path / "a1b2c3"
    path.write_bytes(b"%PDF-1.4 test")

    response = stored_file_download(path, filename="整改报告.pdf", content_type="application/pdf")

    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    response.file_to_stream.close()


def test_a_file_no_longer_stored_is_not_found(tmp_path):
    with pytest.raises(Http404):
        stored_file_download(tmp_path / "gone", filename="x.pdf", content_type="application/pdf")
