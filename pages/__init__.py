"""The lab's pages: one package per topic (``__init__.py`` is the page, one module per tab)."""
