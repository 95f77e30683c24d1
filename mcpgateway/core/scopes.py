"""The gateway's own scopes: what a credential (personal access token, OAuth token) may do.

The MCP scopes each map to a group of /mcp tools and to the Spotify scopes those tools need; they
are what OAuth MCP clients are offered. `api` is for scripts calling the REST API (/api/,
mcpgateway.api) with a personal access token: it grants no tool, and OAuth clients are never
offered it (their tokens are bound to /mcp, RFC 8707, so the API would refuse them anyway)."""

SCOPE_READ = "spotify:read"
SCOPE_PLAYBACK = "spotify:playback"
SCOPE_LIBRARY = "spotify:library"
SCOPE_PLAYLISTS = "spotify:playlists"
SCOPE_API = "api"

MCP_SCOPES: dict[str, str] = {
    SCOPE_READ: "See your Spotify profile, search the catalog, and read what you are playing, your top items and history",
    SCOPE_PLAYBACK: "Control playback on your devices: play, pause, skip, seek, volume, queue, transfer",
    SCOPE_LIBRARY: "Read and change your saved tracks and albums and see the artists you follow",
    SCOPE_PLAYLISTS: "Read, create and change your playlists",
}
# A short plain-language name of each scope: the consent page's checkboxes, the admin's tool groups.
GATEWAY_SCOPE_NAMES: dict[str, str] = {
    SCOPE_READ: "See your Spotify account and what you listen to",
    SCOPE_PLAYBACK: "Control what plays on your devices",
    SCOPE_LIBRARY: "See and change your saved music",
    SCOPE_PLAYLISTS: "See and change your playlists",
}
# Every scope's short name, `api` included: the dashboard's token rows and token form (raw id on hover).
SCOPE_NAMES: dict[str, str] = {**GATEWAY_SCOPE_NAMES, SCOPE_API: "Use the gateway's REST API as you"}
# What a personal access token may carry.
GATEWAY_SCOPES: dict[str, str] = {
    **MCP_SCOPES,
    SCOPE_API: (
        "Use the gateway's REST API (/api/) as you: see and revoke your clients, tokens and consents, "
        "create tokens, disconnect Spotify (and, for admins, manage people and grants). No Spotify tool"
    ),
}
ALL_SCOPES = frozenset(GATEWAY_SCOPES)
ALL_MCP_SCOPES = frozenset(MCP_SCOPES)
