"""The product as a newcomer starts it: the README's Quick start command, run with bash in a clean
copy of the repository, with none of the test suite's own settings in its environment."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

# Variables the test run sets for itself (scripts/test.sh, pytest, Playwright fixtures) that a
# newcomer's shell does not have; the README's configuration table names the product's own.
SUITE_ONLY_VARIABLES = {"TEST_DATABASE_NAME", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "VIRTUAL_ENV", "PYTHONPATH"}
SUITE_ONLY_PREFIXES = ("SPOTIFY_", "PYTEST_")


def readme_section(readme: Path, title: str) -> str:
    section = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", readme.read_text(), re.S | re.M)
    assert section, f"README.md has no '## {title}' section"
    return section.group(1)


def readme_run_command(readme: Path) -> str:
    """The `./dev run` line of the Quick start's fenced code block, as a person would paste it."""
    quick_start = readme_section(readme, "Quick start")
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", quick_start, re.S | re.M):
        for line in block.splitlines():
            if line.strip().startswith("./dev run"):
                return line.strip()
    raise AssertionError(f"README.md's Quick start has no fenced `./dev run` line any more:\n{quick_start}")


def documented_variables(readme: Path) -> set[str]:
    """Every variable named in the first column of the README's configuration table."""
    names: set[str] = set()
    for line in readme_section(readme, "Configuration").splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1]))
    assert "SECRET_KEY" in names and "DATABASE_URL" in names, "the README's configuration table moved"
    return names


def newcomer_environment(readme: Path, **chosen: str) -> dict[str, str]:
    """This machine's environment without any of the gateway's settings or the suite's own, plus
    `chosen`: the product has to generate its secrets in var/local.env as on a fresh machine."""
    dropped = documented_variables(readme) | SUITE_ONLY_VARIABLES
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith(SUITE_ONLY_PREFIXES)}
    env.update(chosen)
    return env


def clean_copy(source: Path, target: Path) -> None:
    """The files git tracks plus the untracked ones it does not ignore (so uncommitted work is
    tested too): no var/, no .venv, nothing a previous run left behind."""
    listed = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=source, check=True,
                            capture_output=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        path = source / name
        if not (path.is_file() or path.is_symlink()):
            continue  # deleted in the working tree, not yet committed
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / name, follow_symlinks=False)
    # Only uv itself (a standalone binary in .cache/uv) is carried over, to save installing it with
    # pip on every run; `./dev run` still syncs .venv from uv.lock, quickly, from uv's own package
    # cache in the home folder, exactly as on a machine that has run `./dev` before.
    if (source / ".cache" / "uv" / "bin" / "uv").exists():
        shutil.copytree(source / ".cache" / "uv", target / ".cache" / "uv", symlinks=True)


class QuickStartRun:
    """`bash -c '<the README's command>'` in its own process group, its output in a file."""

    def __init__(self, command: str, *, cwd: Path, env: dict[str, str], log_path: Path):
        self.command, self.cwd, self.env, self.log_path = command, cwd, env, log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(["bash", "-c", self.command], cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def output(self, limit: int = 20_000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text if len(text) <= limit else "[...]\n" + text[-limit:]

    def explain(self, message: str) -> str:
        return f"{message}\n\n--- output of `{self.command}` ({self.log_path}) ---\n{self.output()}"

    def wait_healthy(self, base: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(self.explain(f"`{self.command}` exited with status {self.process.returncode}"))
            try:
                answer = httpx.get(f"{base}/healthz", timeout=5)
                if answer.status_code == 200:
                    return
                last = f"{answer.status_code} {answer.text[:300]}"
            except httpx.TransportError as exc:
                last = repr(exc)
            time.sleep(0.5)
        raise AssertionError(self.explain(f"GET {base}/healthz was not 200 within {timeout:.0f} s (last: {last})"))

    def stop(self, grace: float = 30) -> list[str]:
        """Ctrl-C, as a person stops it. What went wrong: still running `grace` seconds later (then
        SIGTERM, SIGKILL), or processes of the copy left running (then killed, by id)."""
        if self.process is None:
            return []
        problems = []
        started = time.monotonic()
        for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if self.process.poll() is not None:
                break
            if sig != signal.SIGINT:
                problems.append(f"still running {time.monotonic() - started:.0f} s after Ctrl-C; sent {sig.name}")
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        with open(self.log_path, "a") as log:
            log.write(f"\n[journey] stopped {time.monotonic() - started:.1f} s after Ctrl-C, status {self.process.returncode}\n")
        # run_gateway starts its pieces in sessions of their own; anything left of them still runs
        # in the copy, which nothing else on this machine does.
        for pid, command in processes_running_in(self.cwd):
            problems.append(f"left running: {pid} {command}")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return problems


def processes_running_in(folder: Path) -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue  # gone, or not ours to look at
        if cwd == folder or folder in cwd.parents:
            found.append((int(entry.name), command))
    return found


@contextmanager
def fresh_postgres_database(name: str, admin_url: str):
    """CREATE DATABASE `name` on the server of `admin_url`; ended sessions and DROP afterwards."""
    import psycopg
    from psycopg import sql

    def drop(admin):
        # PostgreSQL refuses to drop a database in use; the product's processes may linger a moment.
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name])
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))

    with psycopg.connect(admin_url, autocommit=True) as admin:
        drop(admin)  # a run killed before its clean-up left it behind
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            drop(admin)


@contextmanager
def fresh_redis(url: str | None):
    """The product's Redis database flushed before and after: a fresh broker, cache and epochs."""
    import redis

    def flush():
        if url:
            with redis.Redis.from_url(url) as client:
                client.flushdb()

    flush()
    try:
        yield
    finally:
        flush()
