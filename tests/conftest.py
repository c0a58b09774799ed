import sys
from pathlib import Path

# Corpus tests import their shared helpers as `from corpus_helpers import ...`.
sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
