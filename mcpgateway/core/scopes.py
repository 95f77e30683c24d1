"""The gateway's own scopes: what an MCP credential (personal access token or OAuth token) may
do. Each `spotify:` scope maps to a group of tools and to the Spotify scopes those tools need."""

SCOPE_READ = "spotify:read"
SCOPE_PLAYBACK = "spotify:playback"
SCOPE_LIBRARY = "spotify:library"
SCOPE_PLAYLISTS = "spotify:playlists"

GATEWAY_SCOPES: dict[str, str] = {
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
ALL_SCOPES = frozenset(GATEWAY_SCOPES)
# The scopes that open groups of tools on /mcp: what a token made for an MCP client carries.
TOOL_SCOPES = frozenset(scope for scope in GATEWAY_SCOPES if scope.startswith("spotify:"))
