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
# The same repository with the GPU-using models' instances on the GPU (generated, never edited by hand).
RUN python -m modstream_models.repository --device cuda:0 /opt/modstream/triton_models_gpu
ENV MODSTREAM_DEVICE=cuda:0
CMD ["tritonserver", "--model-repository=/opt/modstream/triton_models_gpu", "--disable-auto-complete-config"]
