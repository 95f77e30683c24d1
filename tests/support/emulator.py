"""Reading the emulator's counters in the terms the gateway's tests assert on."""


def refresh_requests(emulator) -> dict[str, int]:
    """Token requests that reached the emulator, by outcome (success, invalid_grant, ...); they
    must all be refresh requests."""
    tokens = emulator.stats()["token_requests"]
    assert set(tokens["by_grant_type"]) <= {"refresh_token"}, tokens["by_grant_type"]
    return {outcome: count for outcome, count in tokens["by_outcome"].items() if count}
