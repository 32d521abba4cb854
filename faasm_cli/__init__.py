"""faasm: a developer toolchain and embedded runtime for Faasm-style serverless functions."""

__version__ = "0.1.0"
