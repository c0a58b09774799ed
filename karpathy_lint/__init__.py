"""karpathy-lint: check and write Karpathy-style teaching comments."""

__version__ = "0.1.0"
