"""Text → what a voice says: numbers, dates, units, symbols and Latin letters in spoken Chinese.

``normalize(text)`` is the spoken form; ``unspeakable(text)`` what it could not read; ``is_speakable`` whether
a text has anything left to say. The rules and the algorithm are ``normalizer``; the data, ``tables``.
"""

from reader.text.normalize.normalizer import is_speakable, normalize, unspeakable

__all__ = ["normalize", "unspeakable", "is_speakable"]
