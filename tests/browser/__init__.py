"""The lessons in a real browser: JupyterLab, widgets and nbgrader's Validate in headless Chromium.

This folder is a package so that its conftest.py is imported as ``browser.conftest`` and does not
take the place of ``tests/conftest.py``, which other test modules import as ``conftest``.
"""
