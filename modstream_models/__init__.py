"""Model logic behind the Triton adapters in triton_models/ (see each module)."""

import os

# tldextract (used by Presidio's email recognizer, which modstream_models.ocr and .pii import) would download the
# public-suffix list when it is imported; an empty URL list makes it use the snapshot it ships. Set here, before any
# module of the package can import presidio.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
