# The Faust worker: the light `worker` extra, no torch.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY streams ./streams
COPY modstream_models ./modstream_models
RUN pip install --no-cache-dir ".[worker]"
ENTRYPOINT ["modstream"]
CMD ["worker"]
