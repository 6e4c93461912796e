"""The uploaded file kept between the dry run and the confirm (imports.pending)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from django.utils import translation

from imports import pending

USER = SimpleNamespace(pk=7)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_the_user_who_stashed_it_claims_it_once():
    token = pending.stash(user=USER, kind="officials", name="人员.xlsx", content=b"abc")
    kept = pending.claim(user=USER, token=token)
    assert (kept.kind, kept.name, kept.content) == ("officials", "人员.xlsx", b"abc")
    assert not list(pending.pending_dir().glob("*"))
    with pytest.raises(pending.PendingRefused, match="already been imported"):
        pending.claim(user=USER, token=token)


def test_a_file_changed_on_disk_is_refused():
    token = pending.stash(user=USER, kind="officials", name="e.xlsx", content=b"abc")
    (path,) = pending.pending_dir().glob("*.xlsx")
    path.write_bytes(b"abd")
    with pytest.raises(pending.PendingRefused, match="not valid"):
        pending.claim(user=USER, token=token)


def test_a_token_naming_another_users_file_is_refused():
    token = pending.stash(user=USER, kind="officials", name="e.xlsx", content=b"abc")
    with pytest.raises(pending.PendingRefused, match="not valid"):
        pending.claim(user=SimpleNamespace(pk=8), token=token)
    with pytest.raises(pending.PendingRefused, match="not valid"):
        pending.claim(user=USER, token="garbage")


def test_of_two_simultaneous_claims_one_gets_the_file():
    user = SimpleNamespace(pk=7)
    token = pending.stash(user=user, kind="enterprises", name="e.xlsx", content=b"x" * 1000)
    outcomes, barrier = [], threading.Barrier(2)

    def claim():
        barrier.wait()
        try:
            outcomes.append(pending.claim(user=user, token=token).content)
        except pending.PendingRefused:
            outcomes.append(None)

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=bool) == [None, b"x" * 1000]


def test_old_pending_files_are_swept():
    user = SimpleNamespace(pk=8)
    pending.stash(user=user, kind="enterprises", name="e.xlsx", content=b"x")
    assert pending.sweep(now=time.time() + 10) == 0
    assert pending.sweep(now=time.time() + pending.PENDING_MAX_AGE + 10) == 1
    assert not list(pending.pending_dir().glob("*"))
