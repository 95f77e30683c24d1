"""Reading the emulator's counters in the terms the gateway's tests assert on."""


def refresh_requests(emulator) -> dict[str, int]:
    """Refresh-token requests that reached the emulator, by outcome (ok, invalid_grant, ...)."""
    stats = emulator.stats()
    return {k: v for k, v in stats["token_requests"]["refresh_token"].items() if v}
