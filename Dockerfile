# The corpgraph API. Neo4j runs in its own container (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never \
    PATH="/app/.venv/bin:$PATH"

RUN pip install --no-cache-dir uv==0.13.8 \
    && useradd --create-home --uid 10001 corpgraph \
    && mkdir -p /var/lib/corpgraph && chown corpgraph /var/lib/corpgraph

WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-install-project --no-dev
COPY core ./core
COPY corpgraph ./corpgraph
COPY graph ./graph
COPY loaders ./loaders
COPY algorithms ./algorithms
COPY services ./services
COPY api ./api
COPY visualizations ./visualizations
RUN uv sync --frozen --no-dev

USER corpgraph
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health')" || exit 1
CMD ["corpgraph", "serve"]
