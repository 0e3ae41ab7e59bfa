"""Article extraction: the article's text and metadata out of a page, without the site's furniture.

``extract(source)`` takes fetched bytes (``reader.models.Source``); ``extract_html`` and ``extract_text`` take
decoded text. How: ``article`` (candidates, scoring, article building).
"""

from reader.extraction.article import extract, extract_html, extract_text

__all__ = ["extract", "extract_html", "extract_text"]
