# Labsite web and upkeep image. LXD is not inside: the platform reaches an
# LXD host over HTTPS (LXD_ENDPOINT) with a client certificate.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm git openssh-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt package.json package-lock.json ./
RUN pip install --no-cache-dir -r requirements.txt \
    && npm ci --no-audit --no-fund --loglevel=error

COPY . .
# collectstatic needs settings but no secrets; the key below never serves.
RUN SECRET_KEY=collectstatic-only DATABASE_URL=sqlite://:memory: \
    python manage.py collectstatic --noinput

RUN useradd --system --home-dir /app labsite && mkdir -p /app/var && chown labsite /app/var
USER labsite

EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "labsite.asgi:application"]
