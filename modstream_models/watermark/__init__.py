"""The project's invisible watermark: a 64-bit payload with BCH error correction, embedded by a
residual encoder network and read back by a CNN decoder trained against differentiable attacks."""
