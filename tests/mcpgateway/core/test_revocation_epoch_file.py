"""The revocation epoch in a file (no REDIS_URL): every process of one machine reads it at each /mcp
request, with one stat while the file is unchanged, and sees every bump at its next read."""

import builtins
import os

import pytest

from mcpgateway.core import revocation
from mcpgateway.core.revocation import bump_revocation_epoch, current_revocation_epoch_sync


@pytest.fixture
def epoch_dir(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.VAR_DIR = str(tmp_path)
    revocation._file_epoch = None
    yield tmp_path
    revocation._file_epoch = None


def settle(path):
    """Age the file past FILE_EPOCH_SETTLED_NS, as if its bump happened a while ago."""
    old = os.stat(path).st_mtime_ns - 10 * revocation.FILE_EPOCH_SETTLED_NS
    os.utime(path, ns=(old, old))


def count_opens(monkeypatch):
    opened = []
    real_open = builtins.open

    def counting_open(file, *args, **kwargs):
        if str(file).endswith("revocation-epoch"):
            opened.append(file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    return opened


def test_no_file_is_the_empty_epoch(epoch_dir):
    assert current_revocation_epoch_sync() == ""


def test_a_settled_file_is_read_once_then_only_statted(epoch_dir, monkeypatch):
    bump_revocation_epoch()
    settle(epoch_dir / "revocation-epoch")
    opened = count_opens(monkeypatch)
    values = {current_revocation_epoch_sync() for _ in range(5)}
    assert len(values) == 1 and values != {""}
    assert len(opened) == 1


def test_a_fresh_file_is_read_every_time(epoch_dir, monkeypatch):
    # Within a timestamp tick a bump could reuse the inode and the mtime of the file it replaced.
    bump_revocation_epoch()
    opened = count_opens(monkeypatch)
    current_revocation_epoch_sync()
    current_revocation_epoch_sync()
    assert len(opened) == 2


def test_every_bump_is_seen_after_the_cached_read(epoch_dir):
    seen = []
    for _ in range(20):
        bump_revocation_epoch()
        settle(epoch_dir / "revocation-epoch")
        seen.append(current_revocation_epoch_sync())
        assert current_revocation_epoch_sync() == seen[-1]  # served from the cache
    assert len(set(seen)) == 20


def test_a_bump_written_in_place_with_the_same_size_is_seen(epoch_dir):
    # Another process writing the file over (not our bump's replace): a new mtime all the same.
    bump_revocation_epoch()
    path = epoch_dir / "revocation-epoch"
    settle(path)
    before = current_revocation_epoch_sync()
    path.write_text("f" * len(before))
    assert current_revocation_epoch_sync() == "f" * len(before)
