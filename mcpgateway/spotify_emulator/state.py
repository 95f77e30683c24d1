"""All emulator state, in memory, plus the OAuth and playback rules that mutate it.

The mutable part lives in ``self.data`` as plain JSON types so a snapshot is a single
``json.dumps``; the catalogue is immutable and rebuilt from the seed on start.
Time comes from an emulator clock (real time plus an offset) so tests can jump ahead
hours or months (token expiry, 6-month refresh-token death) without waiting.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import random
import re
import secrets
import tempfile
import time
from collections import Counter
from urllib.parse import urlsplit

from .catalog import SEED_USER_IDS, Catalog, b62id, build_catalog, new_user, seed_users
from .operations import ALL_SCOPES

log = logging.getLogger("spotify_emulator")

ACCESS_TOKEN_TTL = 3600
CODE_TTL = 600
REFRESH_LIFETIME = 182 * 86_400
DEV_MODE_MAX_USERS = 5
# What the gateway asks for; also the default for minted grants.
DEFAULT_SCOPES = (
    "user-read-private", "user-read-email",
    "user-read-playback-state", "user-modify-playback-state", "user-read-currently-playing",
    "user-read-recently-played", "user-top-read", "user-read-playback-position",
    "user-library-read", "user-library-modify", "user-follow-read", "user-follow-modify",
    "playlist-read-private", "playlist-read-collaborative", "playlist-modify-public",
    "playlist-modify-private",
)
KNOWN_SCOPES = frozenset(ALL_SCOPES)
BASE62_RE = re.compile(r"^[0-9A-Za-z]{22}$")


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


class ClientError(ValueError):
    """Bad control-API input (registration etc.)."""


def redirect_uri_problem(uri: str) -> str | None:
    """Spotify's 2025+ rules: https, or an http loopback IP literal; never 'localhost'."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "malformed redirect URI"
    if parts.scheme == "https" and parts.netloc:
        return None
    if parts.scheme == "http":
        host = parts.hostname or ""
        if host == "localhost" or host.endswith(".localhost"):
            return "localhost is not allowed as redirect URI; use 127.0.0.1 or [::1]"
        if host in ("127.0.0.1", "::1"):
            return None
        return "insecure redirect URI: use https or a loopback IP literal"
    return "redirect URI must use https (or http with a loopback IP literal)"


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


# ------------------------------------------------------------------------- faults
FAULT_DEFAULTS = {
    "latency_ms": 0, "token_latency_ms": 0, "api_latency_ms": 0,
    "fail_next": 0, "fail_status": 503, "fail_scope": "all", "fail_body": "json",
    "hang_next": 0, "hang_seconds": 30.0, "hang_scope": None,
    "rate_limit_next": 0, "retry_after": 1, "rate_limit_scope": None,
    "omit_refresh_token": "every_nth", "omit_refresh_token_n": 3,
}


# What a failing proxy in front of Spotify sends instead of Spotify's JSON (`fail_body: "html"`).
EDGE_FAILURE_PAGE = "<html><head><title>Bad gateway</title></head><body><h1>Bad gateway</h1></body></html>"


class Faults:
    def __init__(self) -> None:
        self.values = dict(FAULT_DEFAULTS)

    def update(self, body: dict) -> dict:
        unknown = set(body) - set(FAULT_DEFAULTS)
        if unknown:
            raise ClientError(f"unknown fault settings: {sorted(unknown)}")
        for k, v in body.items():
            if k in ("fail_scope", "hang_scope", "rate_limit_scope") and v not in (None, "token", "api", "all"):
                raise ClientError(f"{k} must be token, api or all")
            if k == "fail_body" and v not in ("json", "html"):
                raise ClientError("fail_body must be json or html")
            if k == "omit_refresh_token" and v not in ("never", "always", "every_nth"):
                raise ClientError("omit_refresh_token must be never, always or every_nth")
            self.values[k] = v
        return self.values

    def clear(self) -> None:
        self.values = dict(FAULT_DEFAULTS)

    def _take(self, counter: str, scope_key: str, kind: str) -> bool:
        v = self.values
        if v[counter] <= 0:
            return False
        scope = v[scope_key] or v["fail_scope"]
        if scope == "all" or scope == kind:
            v[counter] -= 1
            return True
        return False

    async def apply(self, kind: str, stats: "Stats") -> str | None:
        """Sleep for latency/hang and return "rate_limited" / "fail" / None.

        kind is "token", "api" or "authorize" (authorize pages only see scope "all").
        The countdowns are decided on arrival, before any await, so N concurrent
        requests consume exactly N.
        """
        v = self.values
        hang = self._take("hang_next", "hang_scope", kind)
        outcome = None
        if self._take("rate_limit_next", "rate_limit_scope", kind):
            outcome = "rate_limited"
        elif self._take("fail_next", "fail_scope", kind):
            outcome = "fail"
        delay = v["latency_ms"] + (v["token_latency_ms"] if kind == "token" else 0) + (
            v["api_latency_ms"] if kind == "api" else 0)
        if hang:
            stats.faults["hung"] += 1
            delay += float(v["hang_seconds"]) * 1000
        if delay > 0:
            await asyncio.sleep(delay / 1000)
        if outcome:
            stats.faults[outcome] += 1
        return outcome


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.token = {"total": 0, "by_grant_type": Counter(), "by_client": Counter(),
                      "by_outcome": Counter(), "by_grant": Counter(), "by_user": Counter()}
        self.api = {"total": 0, "by_status": Counter(), "by_operation": Counter(), "by_user": Counter()}
        self.authorize = Counter()
        self.faults = Counter()
        self.control = Counter()

    def record_token(self, grant_type, client_id, outcome, grant_id=None, user_id=None) -> None:
        t = self.token
        t["total"] += 1
        t["by_grant_type"][grant_type or "(none)"] += 1
        t["by_client"][client_id or "(none)"] += 1
        t["by_outcome"][outcome] += 1
        # e.g. token_requests["refresh_token"] == {"success": 9, "invalid_grant": 1}
        t.setdefault(grant_type or "(none)", Counter())[outcome] += 1
        if grant_id:
            t["by_grant"][grant_id] += 1
        if user_id:
            t["by_user"][user_id] += 1

    def record_api(self, op, status, user_id=None) -> None:
        a = self.api
        a["total"] += 1
        a["by_status"][str(status)] += 1
        a["by_operation"][op] += 1
        if user_id:
            a["by_user"][user_id] += 1

    def as_dict(self) -> dict:
        def plain(d):
            return {k: (dict(v) if isinstance(v, Counter) else v) for k, v in d.items()}
        return {"token_requests": plain(self.token), "api_requests": plain(self.api),
                "authorize": dict(self.authorize), "faults_injected": dict(self.faults)}


# -------------------------------------------------------------------------- state
class EmulatorState:
    def __init__(self, *, seed: bool = True, startup_clients: list[dict] | None = None) -> None:
        self.catalog: Catalog = build_catalog()
        self.faults = Faults()
        self.stats = Stats()
        self.seed = seed
        self.startup_clients = list(startup_clients or [])
        self.dirty = False
        self.reset()

    # ---------------------------------------------------------------- lifecycle
    def reset(self) -> None:
        self.data = {
            "version": 1, "clock_offset": 0.0, "users": {}, "playlists": {}, "clients": {},
            "codes": {}, "pending": {}, "access_tokens": {}, "refresh_tokens": {},
            "revoked_refresh_tokens": {}, "grants": {}, "bulk_counter": 0,
        }
        if self.seed:
            seed_users(self.data, self.catalog, self.now_ms())
        for c in self.startup_clients:
            self.register_client(**c)
        self.faults.clear()
        self.stats.reset()
        self.dirty = True

    def load(self, path: str) -> bool:
        try:
            with open(path) as f:
                data = json.load(f)
        except FileNotFoundError:
            return False
        except (OSError, ValueError) as e:
            log.warning("ignoring unreadable state file %s: %s", path, e)
            return False
        if data.get("version") != 1:
            return False
        self.data = data
        for c in self.startup_clients:  # command-line clients win over stale stored ones
            self.register_client(**c)
        return True

    def snapshot(self) -> str:
        self._prune()
        return json.dumps(self.data, separators=(",", ":"))

    @staticmethod
    def write_snapshot(path: str, text: str) -> None:
        d = os.path.dirname(os.path.abspath(path))
        os.makedirs(d, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".spotify-emulator-", suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)  # atomic: a crash never leaves half a file

    def _prune(self) -> None:
        # Keep expired access tokens a week so clients still get "expired", not "invalid".
        now = self.now()
        at = self.data["access_tokens"]
        for k in [k for k, v in at.items() if v["expires_at"] < now - 7 * 86_400]:
            del at[k]
        for k in [k for k, v in self.data["codes"].items() if v["expires_at"] < now - 3600]:
            del self.data["codes"][k]
        for k in [k for k, v in self.data["pending"].items() if v["expires_at"] < now]:
            del self.data["pending"][k]

    # -------------------------------------------------------------------- clock
    def now(self) -> float:
        return time.time() + self.data["clock_offset"] if hasattr(self, "data") else time.time()

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def advance_clock(self, seconds: float) -> float:
        self.data["clock_offset"] += float(seconds)
        self.dirty = True
        return self.now()

    # ------------------------------------------------------------------ clients
    def register_client(self, client_id: str, redirect_uris: list[str], client_secret: str | None = None,
                        mode: str = "development", allowed_users: list[str] | None = None,
                        name: str | None = None) -> dict:
        if not client_id or not isinstance(client_id, str):
            raise ClientError("client_id is required")
        if isinstance(redirect_uris, str):
            redirect_uris = [redirect_uris]
        if not redirect_uris:
            raise ClientError("at least one redirect URI is required")
        for uri in redirect_uris:
            problem = redirect_uri_problem(uri)
            if problem:
                raise ClientError(f"{uri}: {problem}")
        if mode not in ("development", "extended"):
            raise ClientError("mode must be development or extended")
        if mode == "development":
            if allowed_users is None:
                allowed_users = [u for u in SEED_USER_IDS if u in self.data["users"]][:DEV_MODE_MAX_USERS]
            if len(allowed_users) > DEV_MODE_MAX_USERS:
                raise ClientError(f"development mode apps allow at most {DEV_MODE_MAX_USERS} users")
        client = {"client_id": client_id, "client_secret": client_secret, "redirect_uris": list(redirect_uris),
                  "mode": mode, "allowed_users": list(allowed_users or []) if mode == "development" else None,
                  "name": name or client_id}
        self.data["clients"][client_id] = client
        self.dirty = True
        return client

    # ------------------------------------------------------------------- tokens
    def create_pending(self, params: dict) -> str:
        nonce = secrets.token_urlsafe(24)
        self.data["pending"][nonce] = {**params, "expires_at": self.now() + CODE_TTL}
        return nonce

    def issue_code(self, client_id, redirect_uri, code_challenge, user_id, scope) -> str:
        code = "AQ" + secrets.token_urlsafe(96)
        self.data["codes"][code] = {"client_id": client_id, "redirect_uri": redirect_uri,
                                    "code_challenge": code_challenge, "user_id": user_id, "scope": scope,
                                    "expires_at": self.now() + CODE_TTL, "used": False}
        self.dirty = True
        return code

    def _new_grant(self, client_id, user_id, scope) -> str:
        gid = "g" + secrets.token_hex(8)
        self.data["grants"][gid] = {"id": gid, "client_id": client_id, "user_id": user_id, "scope": scope,
                                    "consented_at": self.now(), "refresh_count": 0}
        return gid

    def _issue(self, gid: str, with_refresh: bool) -> dict:
        g = self.data["grants"][gid]
        access = "BQ" + secrets.token_urlsafe(120)
        self.data["access_tokens"][access] = {"grant_id": gid, "user_id": g["user_id"], "client_id": g["client_id"],
                                              "scope": g["scope"], "expires_at": self.now() + ACCESS_TOKEN_TTL}
        out = {"access_token": access, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_TTL, "scope": g["scope"]}
        if with_refresh:
            refresh = "AQ" + secrets.token_urlsafe(96)
            self.data["refresh_tokens"][refresh] = gid
            out["refresh_token"] = refresh
        self.dirty = True
        return out

    def check_client(self, client_id: str | None, secret: str | None, basic: bool) -> dict:
        client = self.data["clients"].get(client_id or "")
        if client is None:
            raise OAuthError("invalid_client", "Invalid client", 401 if basic else 400)
        if secret is not None and client.get("client_secret") and secret != client["client_secret"]:
            raise OAuthError("invalid_client", "Invalid client secret", 401 if basic else 400)
        return client

    def exchange_code(self, client_id, code, redirect_uri, verifier) -> tuple[dict, str]:
        c = self.data["codes"].get(code or "")
        if c is None or c["client_id"] != client_id:
            raise OAuthError("invalid_grant", "Invalid authorization code")
        if c["used"]:
            raise OAuthError("invalid_grant", "Invalid authorization code")
        c["used"] = True  # burnt by any attempt, as a failed exchange must not be retried
        if self.now() > c["expires_at"]:
            raise OAuthError("invalid_grant", "Authorization code expired")
        if redirect_uri != c["redirect_uri"]:
            raise OAuthError("invalid_grant", "Invalid redirect URI")
        if not verifier:
            raise OAuthError("invalid_request", "code_verifier required")
        if s256(verifier) != c["code_challenge"]:
            raise OAuthError("invalid_grant", "code_verifier was incorrect")
        gid = self._new_grant(client_id, c["user_id"], c["scope"])
        return self._issue(gid, True), gid

    def refresh(self, client_id, refresh_token) -> tuple[dict, str]:
        rt = refresh_token or ""
        revoked_gid = self.data["revoked_refresh_tokens"].get(rt)
        if revoked_gid:
            raise OAuthError("invalid_grant", "Refresh token revoked")
        gid = self.data["refresh_tokens"].get(rt)
        if gid is None:
            raise OAuthError("invalid_grant", "Invalid refresh token")
        g = self.data["grants"][gid]
        if g["client_id"] != client_id:
            raise OAuthError("invalid_grant", "Invalid refresh token")
        if self.now() > g["consented_at"] + REFRESH_LIFETIME:
            raise OAuthError("invalid_grant", "Refresh token revoked")
        g["refresh_count"] += 1
        f = self.faults.values
        mode = f["omit_refresh_token"]
        n = max(1, int(f["omit_refresh_token_n"] or 3))
        omit = mode == "always" or (mode == "every_nth" and g["refresh_count"] % n == 0)
        out = self._issue(gid, not omit)
        if not omit:
            # rotation: the presented token is now dead; keep its family for the error message
            del self.data["refresh_tokens"][rt]
            self.data["revoked_refresh_tokens"][rt] = gid
        return out, gid

    def mint_grants(self, client_id: str, count: int | None, user_ids: list[str] | None,
                    scopes, with_device: bool = False) -> list[dict]:
        if client_id not in self.data["clients"]:
            raise ClientError(f"unknown client_id {client_id!r}: register it first")
        if isinstance(scopes, str):
            scopes = scopes.split()
        scope = " ".join(scopes if scopes is not None else DEFAULT_SCOPES)
        bad = [s for s in scope.split() if s not in KNOWN_SCOPES]
        if bad:
            raise ClientError(f"unknown scopes {bad}")
        if user_ids is None:
            if not count or count < 1:
                raise ClientError("give count or user_ids")
            # fresh users on every call, so batches of mints never share a user
            start = self.data["bulk_counter"]
            self.data["bulk_counter"] = start + count
            user_ids = [f"bench-{i:05d}" for i in range(start + 1, start + count + 1)]
        users = self.data["users"]
        out = []
        for uid in user_ids:
            if uid not in users:
                # with_device: a player of their own (not active until played on), so a load test's
                # people can start and pause playback without sharing one seeded user's player.
                devices = [(f"{uid}'s Computer", "Computer", 50, True)] if with_device else None
                users[uid] = new_user(uid, f"Bench User {uid}", "premium", "US", devices=devices, bulk=True)
            gid = self._new_grant(client_id, uid, scope)
            tok = self._issue(gid, True)
            out.append({"user_id": uid, "display_name": users[uid]["display_name"], "grant_id": gid, **tok})
        self.dirty = True
        return out

    def revoke_grant(self, gid: str) -> bool:
        """The person removed the app from their Spotify account: every token of the grant dies
        (its refresh tokens then answer invalid_grant). False for an unknown grant."""
        if gid not in self.data["grants"]:
            return False
        for rt, owner in list(self.data["refresh_tokens"].items()):
            if owner == gid:
                del self.data["refresh_tokens"][rt]
                self.data["revoked_refresh_tokens"][rt] = gid
        for at, info in list(self.data["access_tokens"].items()):
            if info["grant_id"] == gid:
                del self.data["access_tokens"][at]
        self.dirty = True
        return True

    def lookup_access_token(self, token: str) -> tuple[dict | None, str | None]:
        info = self.data["access_tokens"].get(token)
        if info is None:
            return None, "Invalid access token"
        if self.now() >= info["expires_at"]:
            return None, "The access token expired"
        return info, None

    # ----------------------------------------------------------------- playback
    def track_for_uri(self, uri: str | None) -> dict | None:
        if not uri or not uri.startswith("spotify:track:"):
            return None
        return self.catalog.tracks.get(uri.rsplit(":", 1)[1])

    def tick(self, user: dict) -> dict:
        """Bring the player up to the emulator clock: progress grows, tracks end and advance."""
        p = user["player"]
        now = self.now_ms()
        if not p["is_playing"] or not p["item_uri"]:
            p["anchor_ms"] = now
            return p
        elapsed = now - p["anchor_ms"]
        p["anchor_ms"] = now
        pos = p["progress_ms"] + max(0, elapsed)
        for _ in range(500):  # bounded: a month-long clock jump must not spin
            tr = self.track_for_uri(p["item_uri"])
            dur = tr["duration_ms"] if tr else 180_000
            if pos < dur:
                break
            pos -= dur
            if p["repeat"] == "track":
                continue
            if not self._advance(user, natural=True):
                pos = 0
                break
        else:
            pos = 0
        p["progress_ms"] = int(pos)
        return p

    def _remember(self, user: dict) -> None:
        p = user["player"]
        if p["item_uri"]:
            user["recently_played"].append({"uri": p["item_uri"], "played_at_ms": self.now_ms(),
                                            "context_uri": p["context_uri"]})
            del user["recently_played"][:-50]

    def _advance(self, user: dict, natural: bool = False) -> bool:
        """Move to the next item (queue first, then context). False when playback ended."""
        p = user["player"]
        self._remember(user)
        if user["queue"]:
            p["item_uri"] = user["queue"].pop(0)
            p["from_queue"] = True
            p["progress_ms"] = 0
            return True
        # the index still points at the last context track, even while queue items played
        nxt = p["index"] + 1
        p["from_queue"] = False
        if nxt >= len(p["order"]):
            if p["repeat"] == "context" and p["order"]:
                nxt = 0
            else:
                p["is_playing"] = False
                p["progress_ms"] = 0
                return False
        p["index"] = nxt
        p["item_uri"] = p["context_tracks"][p["order"][nxt]]
        p["progress_ms"] = 0
        return True

    def player_next(self, user: dict) -> None:
        self.tick(user)
        if not self._advance(user):
            # Spotify stays on the last track, paused, when you skip past the end
            pass
        user["player"]["anchor_ms"] = self.now_ms()

    def player_previous(self, user: dict) -> None:
        p = self.tick(user)
        self._remember(user)
        if p["order"] and p["index"] > 0 and not p["from_queue"]:
            p["index"] -= 1
        if p["order"]:
            p["item_uri"] = p["context_tracks"][p["order"][p["index"]]]
        p["from_queue"] = False
        p["progress_ms"] = 0
        p["anchor_ms"] = self.now_ms()

    def start_context(self, user: dict, context_uri: str | None, uris: list[str], start_index: int,
                      position_ms: int) -> None:
        p = user["player"]
        self.tick(user)
        if p["item_uri"]:
            self._remember(user)
        order = list(range(len(uris)))
        if p["shuffle"]:
            rest = [i for i in order if i != start_index]
            random.Random(self.now_ms()).shuffle(rest)
            order = [start_index] + rest
            idx = 0
        else:
            idx = start_index
        p.update(context_uri=context_uri, context_tracks=list(uris), order=order, index=idx,
                 item_uri=uris[start_index], from_queue=False, is_playing=True,
                 progress_ms=max(0, int(position_ms or 0)), anchor_ms=self.now_ms())
        self.tick(user)

    def set_shuffle(self, user: dict, on: bool) -> None:
        p = self.tick(user)
        p["shuffle"] = on
        if not p["order"]:
            return
        cur = p["order"][p["index"]]
        if on:
            rest = [i for i in range(len(p["context_tracks"])) if i != cur]
            random.Random(self.now_ms()).shuffle(rest)
            p["order"], p["index"] = [cur] + rest, 0
        else:
            p["order"], p["index"] = list(range(len(p["context_tracks"]))), cur

    def upcoming(self, user: dict, limit: int = 20) -> list[str]:
        p = user["player"]
        out = list(user["queue"])
        i = p["index"] + 1
        while len(out) < limit and i < len(p["order"]):
            out.append(p["context_tracks"][p["order"][i]])
            i += 1
        return out[:limit]

    # ---------------------------------------------------------------- playlists
    @staticmethod
    def snapshot_id(pl: dict) -> str:
        raw = hashlib.sha1(f"{pl['id']}:{pl['version']}".encode()).digest()[:12]
        return base64.b64encode(pl["version"].to_bytes(4, "big") + raw).decode()

    def create_playlist(self, owner_id: str, name: str, description: str, public: bool, collaborative: bool) -> dict:
        pid = b62id(f"playlist:{owner_id}:{name}:{secrets.token_hex(8)}")
        pl = {"id": pid, "name": name, "description": description, "owner_id": owner_id, "public": public,
              "collaborative": collaborative, "items": [], "version": 1, "followers": 0, "images": []}
        self.data["playlists"][pid] = pl
        self.data["users"][owner_id]["playlists"].insert(0, pid)
        self.dirty = True
        return pl

    # --------------------------------------------------------------- inspection
    def user_state(self, user_id: str) -> dict | None:
        u = self.data["users"].get(user_id)
        if u is None:
            return None
        p = self.tick(u)
        active = next((d for d in u["devices"] if d["id"] == p["device_id"]), None)
        return {
            "user": {k: u[k] for k in ("id", "display_name", "product", "country", "email")},
            "devices": [{**d, "is_active": d["id"] == p["device_id"]} for d in u["devices"]],
            "playback": {
                "device_id": p["device_id"], "device_name": active["name"] if active else None,
                "is_playing": p["is_playing"], "item_uri": p["item_uri"], "context_uri": p["context_uri"],
                "progress_ms": p["progress_ms"], "shuffle_state": p["shuffle"], "repeat_state": p["repeat"],
                "volume_percent": active["volume_percent"] if active else None,
            },
            "queue": list(u["queue"]),
            "upcoming": self.upcoming(u),
            "library": {
                "tracks": list(u["saved_tracks"]), "albums": list(u["saved_albums"]),
                "artists": list(u["followed_artists"]), "users": list(u["followed_users"]),
                "playlists": list(u["followed_playlists"]),
            },
            "playlists": [
                {"id": pid, "name": pl["name"], "owner_id": pl["owner_id"], "public": pl["public"],
                 "collaborative": pl["collaborative"], "description": pl["description"],
                 "snapshot_id": self.snapshot_id(pl),
                 "items": [f"spotify:track:{i['track_id']}" for i in pl["items"]]}
                for pid in u["playlists"] if (pl := self.data["playlists"].get(pid))
            ],
            "recently_played": [r["uri"] for r in reversed(u["recently_played"])],
        }

    def public_users(self) -> list[dict]:
        return [{"id": u["id"], "display_name": u["display_name"], "product": u["product"],
                 "devices": [d["name"] for d in u["devices"]],
                 "active_device": next((d["name"] for d in u["devices"] if d["id"] == u["player"]["device_id"]), None)}
                for u in self.data["users"].values() if not u.get("bulk")]


__all__ = ["EmulatorState", "OAuthError", "ClientError", "DEFAULT_SCOPES", "KNOWN_SCOPES", "BASE62_RE",
           "redirect_uri_problem", "s256"]
