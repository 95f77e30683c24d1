"""The baseline of bench/mcp_calls.py: a bare `mcp` MCPServer under uvicorn with the same Spotify
tool (get_currently_playing, same output model) calling the same emulator, with no gateway around
it: no authentication, no session tracking, no database, a fixed Spotify token from the environment.
"""

import os
import sys
from pathlib import Path

import httpx
import uvicorn
from mcp.server.mcpserver import MCPServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Only to reuse the gateway's output model of the tool; this server touches no database.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()
from mcpgateway.mcp.tools.schemas import NowPlaying  # noqa: E402

API_URL = os.environ["BENCH_SPOTIFY_API_URL"]
TOKEN = os.environ["BENCH_SPOTIFY_ACCESS_TOKEN"]

server = MCPServer("bare-spotify")
_http: httpx.AsyncClient | None = None


@server.tool()
async def get_currently_playing() -> NowPlaying:
    """Get the track or episode playing now (or paused), with its progress."""
    global _http
    if _http is None:
        _http = httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    response = await _http.get(f"{API_URL}/me/player/currently-playing", params={"additional_types": "track,episode"})
    response.raise_for_status()
    return NowPlaying.from_spotify(response.json() if response.status_code == 200 else None)


if __name__ == "__main__":
    uvicorn.run(server.streamable_http_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
