# The Mazad web image: Python 3.11 with the locked packages (uv.lock), its static files collected.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy UV_NO_CACHE=1 PATH=/opt/venv/bin:$PATH
RUN apt-get update && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# uv itself is pinned by hash; every other package comes from uv.lock, never from the ranges.
COPY scripts/uv-requirements.txt scripts/
RUN pip install --no-deps --require-hashes -r scripts/uv-requirements.txt
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --python "$(command -v python3)"
COPY . .
COPY --from=assets /app/node_modules ./node_modules
RUN DJANGO_SETTINGS_MODULE=config.settings.base python manage.py compilemessages --ignore=node_modules \
    && DJANGO_SETTINGS_MODULE=config.settings.base python manage.py collectstatic --noinput
RUN useradd --create-home mazad \
    && mkdir -p /data/media /data/private /data/audit-checkpoints && chown -R mazad /data
USER mazad
EXPOSE 8000
# Liveness only (/livez answers without asking the database or the payment provider); a load
# balancer's readiness check is /readyz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/livez', timeout=4)"]
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--ws", "websockets-sansio", "--ws-per-message-deflate", "false", "--loop", "uvloop", "--http", "httptools"]
