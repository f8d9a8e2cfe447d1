# Centinela service image: slim base, non-root user, health check on /healthz.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CENTINELA_DATA_DIR=/data CENTINELA_HOST=0.0.0.0 CENTINELA_PORT=8080

RUN useradd --create-home --uid 10001 centinela && mkdir /data && chown centinela /data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot bot
COPY responders responders
COPY retrieval retrieval
COPY scheduler scheduler
COPY adapters adapters
RUN pip install .

USER centinela
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"
CMD ["centinela", "serve"]
