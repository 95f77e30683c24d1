"""The per-process caches of /mcp forget everything when the revocation epoch moves, and never keep
a value read under an epoch that is no longer current."""

from mcpgateway.core.revocation import EpochCache


def test_a_new_epoch_empties_the_cache():
    cache = EpochCache()
    cache.put("token", "principal", "e1")
    assert cache.get("token", "e1") == "principal"
    assert cache.get("token", "e2") is None


def test_a_value_read_before_the_epoch_moved_is_not_kept():
    cache = EpochCache()
    assert cache.get("token", "e1") is None  # request A reads epoch e1, misses, goes to the database
    assert cache.get("other", "e2") is None  # meanwhile a revocation moved the epoch; B saw e2
    cache.put("token", "stale principal", "e1")  # A's row may predate the revocation
    assert cache.get("token", "e2") is None


def test_replace_keeps_only_what_is_cached_and_size_is_bounded():
    cache = EpochCache(size=2)
    cache.replace("absent", "x")
    assert cache.get("absent", "e") is None
    for key in ("a", "b", "c"):
        cache.put(key, key.upper(), "e")
    assert cache.get("a", "e") is None and cache.get("c", "e") == "C"
    cache.replace("c", "newer")
    assert cache.get("c", "e") == "newer"
