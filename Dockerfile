# The gateway's image: one image for every role (web, worker, beat, release), chosen by the command
# (docs/deployment.md). Locked with uv from uv.lock, without the dev dependencies; runs as a
# non-root user. Build: docker build -t spotify-mcp-gateway .

FROM python:3.12-slim-bookworm AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.8 /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev
COPY . .

FROM python:3.12-slim-bookworm
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin gateway \
 && mkdir -p /app/var && chown gateway /app/var
COPY --from=build --chown=root:root /app /app
WORKDIR /app
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings VAR_DIR=/app/var
USER gateway
EXPOSE 8000
# The web role by default; compose and the units name the role they run.
CMD ["python", "manage.py", "serve", "web", "--host", "0.0.0.0", "--port", "8000"]
