# Labsite web and upkeep image. LXD is not inside: the platform reaches an
# LXD host over HTTPS (LXD_ENDPOINT) with a client certificate.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# bash-static is the shell that check scripts run with inside containers
# (CHECK_BASH_PATH); git and openssh-client fetch the lessons repository;
# gettext compiles the translations.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm git openssh-client bash-static gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt package.json package-lock.json ./
RUN pip install --no-cache-dir -r requirements.txt \
    && npm ci --no-audit --no-fund --loglevel=error

COPY . .
# collectstatic and compilemessages need settings but no secrets; the key
# below never serves.
RUN SECRET_KEY=build-only DATABASE_URL=sqlite://:memory: \
    python manage.py collectstatic --noinput \
    && SECRET_KEY=build-only DATABASE_URL=sqlite://:memory: \
    python manage.py compilemessages --ignore=node_modules

# A fixed uid, so that files mounted from the host (compose.yaml's ./secrets)
# can be given to it: chown 10001 on the host.
RUN useradd --system --uid 10001 --home-dir /app labsite \
    && mkdir -p /app/var && chown labsite /app/var
USER labsite

EXPOSE 8000
# --proxy-headers takes the client address and scheme from the proxy's
# X-Forwarded-For and X-Forwarded-Proto. Only a proxy that overwrites
# X-Forwarded-For may reach this port (docs/deployment.md).
CMD ["python", "-m", "labsite.serve", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
