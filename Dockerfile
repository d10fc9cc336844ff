# The bot (webhooks: `triage serve`) and the worker (`triage worker`) share this image.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin triage
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot bot
COPY actions actions
COPY dialogs dialogs
COPY nlu_data nlu_data
COPY data data
RUN pip install -e . && mkdir -p var/models && chown -R triage:triage var

USER triage
# Train the NLU models once at build time; the processes then start from the cache.
RUN python -c "from bot.app import load_brain; from bot.settings import Settings; load_brain(Settings())"

ENV STORE_URL=redis://redis:6379/0 HOST=0.0.0.0 PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"
CMD ["triage", "serve"]
