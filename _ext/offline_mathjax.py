"""MathJax served by the site itself: no page loads a script from another host.

Sphinx's default ``mathjax_path`` is MathJax 3 on a CDN, so a reader offline (or a browser that
blocks other hosts) sees raw TeX. ``_config.yml`` sets ``mathjax_path`` to a path under
``_static/`` instead, and this extension puts the files there: MathJax 3.2.2 as shipped by the
PyPI package ``sphinx-mathjax-offline`` (a dependency in ``pyproject.toml``, so ``make book``
installs it on a fresh machine). Its ``static/`` folder, which holds ``mathjax/``, is added to
``html_static_path``, which Sphinx copies into ``_build/html/_static`` at every HTML build.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from sphinx.errors import ExtensionError

DISTRIBUTION = "sphinx-mathjax-offline"
FOLDER = "sphinx-mathjax-offline/static"    # inside the distribution; holds mathjax/


def static_folder() -> Path:
    """The installed folder that holds ``mathjax/``."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise ExtensionError(f"MathJax for the offline site comes from the package "
                             f"{DISTRIBUTION}, which is not installed: pip install -e .") from None
    return Path(dist.locate_file(FOLDER))


def _add_files(app, config) -> None:
    if not str(config.mathjax_path).startswith("mathjax/"):
        return   # MathJax from elsewhere, by the configuration's choice
    folder = static_folder()
    script = folder / config.mathjax_path
    if not script.is_file():
        raise ExtensionError(f"mathjax_path = {config.mathjax_path!r}, but {script} does not exist")
    config.html_static_path = [*config.html_static_path, str(folder)]


def setup(app):
    app.connect("config-inited", _add_files)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
