"""reader: Mandarin text-to-speech for Chinese news and government articles."""

from __future__ import annotations

__version__ = "0.1.0"
