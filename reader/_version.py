"""The one place reader's version is written (pyproject.toml reads it: ``[tool.hatch.version]``), and the name
it is published under (the import package and the command are ``reader``; on PyPI ``reader`` is another
project)."""

__version__ = "0.1.0"

#: The distribution's name: what ``pip install`` and ``pipx install`` take.
DISTRIBUTION = "zh-news-reader"
