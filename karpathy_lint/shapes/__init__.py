"""verify-shapes: check shape comments against the running code."""
