# The Mazad web image: Python 3.11 with the project, its static files collected.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --upgrade pip && pip install .
COPY . .
COPY --from=assets /app/node_modules ./node_modules
RUN DJANGO_SETTINGS_MODULE=config.settings.base python manage.py compilemessages --ignore=node_modules \
    && DJANGO_SETTINGS_MODULE=config.settings.base python manage.py collectstatic --noinput
RUN useradd --create-home mazad && mkdir -p /data && chown mazad /data
USER mazad
EXPOSE 8000
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--ws", "websockets-sansio", "--ws-per-message-deflate", "false", "--loop", "uvloop", "--http", "httptools"]
