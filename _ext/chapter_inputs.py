"""Re-execute a chapter when its inputs change, and only then.

Sphinx re-reads (and myst-nb, with ``execute_notebooks: force``, re-executes) only the documents
whose source file changed. The analysis chapters also depend on files Sphinx does not know about:
the package code they call and the run records they read. This extension keeps, for every
executable MyST notebook (a ``.md`` document with a ``kernelspec`` in its front matter), a
fingerprint of those inputs in the Sphinx environment and asks Sphinx to re-read the documents
whose fingerprint changed:

- ``text``: the chapter's source;
- ``code``: every module of ``bnorder`` the chapter's code cells import, with the transitive
  closure of the imports between the package's modules (absolute and relative imports, anywhere
  in a module, function bodies included) and the packages' ``__init__`` files on the way;
- ``reads``: the files the chapter declares in its front matter,

  .. code-block:: yaml

     bnorder:
       reads:
         - "results/${BNORDER_FACTORIAL_PROFILE:-factorial}"
         - "book/predictions.yml"

  paths or globs relative to the repository root (the book's root); a folder stands for every file
  under it (hidden files excepted); ``${VAR}`` and ``${VAR:-default}`` are replaced by the
  environment's values; a path under ``results/`` is resolved under ``$BNORDER_RESULTS`` when
  that is set (relative to the repository root when it is relative), as the chapters do;
- ``env``: the values of the environment variables the chapter reads: those of
  ``BNORDER_RESULTS``, ``BNORDER_BOOK_PROFILE`` and ``BNORDER_FACTORIAL_PROFILE`` that its code
  cells or the package code they call mention, ``BNORDER_RESULTS`` whenever it reads ``results/``,
  and every variable its ``reads`` expand.

A chapter whose last execution failed is read again as well. The log line ``chapter inputs
changed:`` names each document re-read for these reasons and which inputs changed.
"""

from __future__ import annotations

import ast
import glob
import hashlib
import importlib.util
import json
import os
import re
from pathlib import Path

import yaml
from sphinx.util import logging

logger = logging.getLogger(__name__)

PACKAGE = "bnorder"
ENV_VARS = ("BNORDER_RESULTS", "BNORDER_BOOK_PROFILE", "BNORDER_FACTORIAL_PROFILE")
RESULTS_VAR = "BNORDER_RESULTS"
ATTR = "bnorder_inputs"          # env attribute: {docname: fingerprint}

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)---[ \t]*(\r?\n|\Z)", re.S)

# Fingerprints of the current state, computed once per build in env-get-outdated and reused when
# the documents are read (a forked parallel reader inherits them); the package's import graph.
_current: dict[str, dict | None] = {}
_package: list = []
_file_hashes: dict[tuple, str] = {}


# ------------------------------------------------------------------ hashing

def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_hash(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _file_hashes:
        _file_hashes[key] = _sha(path.read_bytes())
    return _file_hashes[key]


def _digest(obj) -> str:
    return _sha(json.dumps(obj, sort_keys=True).encode())


# ------------------------------------------------------------------ the package's imports

def _package_dir(srcdir: Path) -> Path | None:
    """The folder of the package the kernels import (the same ``sys.path`` as this process)."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0]).resolve()
    fallback = srcdir / PACKAGE
    return fallback if (fallback / "__init__.py").exists() else None


def _imported(tree: ast.AST, module: str | None, is_package: bool) -> set[str]:
    """Dotted names of ``bnorder`` modules (or attributes) that ``tree`` imports, anywhere."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if module is None:
                    continue
                parts = module.split(".") if is_package else module.split(".")[:-1]
                parts = parts[:len(parts) - (node.level - 1)] if node.level > 1 else parts
                if not parts:
                    continue
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names if a.name != "*")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # importlib.import_module("bnorder.x") and the like
            if re.fullmatch(rf"{PACKAGE}(\.\w+)*", node.value):
                names.add(node.value)
    return {n for n in names if n == PACKAGE or n.startswith(PACKAGE + ".")}


class _Package:
    """The modules of ``bnorder`` and the imports between them."""

    def __init__(self, root: Path | None):
        self.root = root
        self.files: dict[str, Path] = {}
        self.texts: dict[str, str] = {}
        self.imports: dict[str, set[str]] = {}
        if root is None:
            return
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root)
            if any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
                continue
            parts = [PACKAGE, *rel.with_suffix("").parts]
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            self.files[name] = path
            self.texts[name] = text = path.read_text(encoding="utf-8")
            self.imports[name] = _imported(ast.parse(text, filename=str(path)), name, is_package)

    def module_of(self, name: str) -> str | None:
        """The module a dotted import name refers to (``bnorder.report.style.fmt`` → ``bnorder.report.style``)."""
        parts = name.split(".")
        while parts:
            candidate = ".".join(parts)
            if candidate in self.files:
                return candidate
            parts.pop()
        return None

    def closure(self, names: set[str]) -> list[str]:
        """Every module that importing ``names`` runs: the imports' transitive closure, with
        each module's parent packages."""
        seen: set[str] = set()
        todo = list(names)
        while todo:
            module = self.module_of(todo.pop())
            if module is None or module in seen:
                continue
            seen.add(module)
            parts = module.split(".")
            todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
            todo.extend(self.imports.get(module, ()))
        return sorted(seen)

    def mentions(self, modules: list[str], word: str) -> bool:
        return any(word in self.texts[m] for m in modules)


# ------------------------------------------------------------------ one chapter

def _front_matter(text: str) -> dict:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _code_cells(text: str) -> list[str]:
    """The sources of the chapter's code cells, as myst-nb reads them."""
    from myst_nb.core.read import read_myst_markdown_notebook

    return [cell.source for cell in read_myst_markdown_notebook(text).cells if cell.cell_type == "code"]


def _cell_imports(source: str) -> set[str]:
    """The ``bnorder`` names a code cell imports (IPython magics turned into Python first). A
    cell that does not parse imports nothing here; executing it fails the build anyway."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return _imported(ast.parse(TransformerManager().transform_cell(source)), None, False)
    except SyntaxError:
        return set()


def _expand(pattern: str, used: dict) -> str:
    def value(match):
        name, default = match.group(1), match.group(2)
        used[name] = os.environ.get(name)
        got = os.environ.get(name)
        return got if got else (default or "")
    return _VAR.sub(value, pattern)


def _files_under(path: Path):
    if path.is_file():
        yield path
    elif path.is_dir():
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
            for name in sorted(filenames):
                if not name.startswith("."):
                    yield Path(dirpath) / name


def _reads(patterns, srcdir: Path, used_env: dict) -> list:
    """Sorted ``(label, content hash)`` of every file the declared ``patterns`` name; a pattern
    that names nothing is listed as missing, so that its first file counts as a change."""
    entries = {}
    for raw in patterns:
        pattern = _expand(str(raw), used_env).strip().rstrip("/")
        parts = Path(pattern).parts
        base, rest, prefix = srcdir, parts, Path()
        if parts and parts[0] == "results":
            used_env[RESULTS_VAR] = os.environ.get(RESULTS_VAR)
            if os.environ.get(RESULTS_VAR):
                folder = Path(os.environ[RESULTS_VAR])
                base = folder if folder.is_absolute() else srcdir / folder
                rest, prefix = parts[1:], Path("results")
        matches = sorted(glob.glob(os.path.join(glob.escape(str(base)), *rest), recursive=True))
        found = False
        for match in matches:
            for path in _files_under(Path(match)):
                found = True
                label = (prefix / path.relative_to(base)).as_posix()
                entries[label] = _file_hash(path)
        if not found:
            entries[f"{pattern} (missing)"] = ""
    return sorted(entries.items())


def fingerprint(path: Path, srcdir: Path, package: _Package) -> dict | None:
    """The inputs of one chapter, or None when it is not an executable MyST notebook."""
    if path.suffix != ".md" or not path.is_file():
        return None
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    meta = _front_matter(text)
    if "kernelspec" not in meta:
        return None
    cells = _code_cells(text)
    imports = set()
    for source in cells:
        imports |= _cell_imports(source)
    modules = package.closure(imports)
    code = [(package.files[m].relative_to(package.root.parent).as_posix(), _file_hash(package.files[m]))
            for m in modules]
    declared = ((meta.get(PACKAGE) or {}).get("reads") or []) if isinstance(meta.get(PACKAGE), dict) else []
    if isinstance(declared, str):
        declared = [declared]
    env: dict = {}
    reads = _reads(declared, srcdir, env)
    code_text = "\n".join(cells)
    for name in ENV_VARS:
        if name in code_text or package.mentions(modules, name):
            env[name] = os.environ.get(name)
    return {"text": _sha(raw), "code": _digest(code), "reads": _digest(reads),
            "env": _digest(sorted(env.items())),
            # for the log: what the parts were made of
            "modules": modules, "n_files": len(reads)}


# ------------------------------------------------------------------ Sphinx events

def _inputs(env) -> dict:
    if not hasattr(env, ATTR):
        setattr(env, ATTR, {})
    return getattr(env, ATTR)


def _compute(app, docname: str) -> dict | None:
    if docname not in _current:
        srcdir = Path(app.srcdir)
        if not _package:
            _package.append(_Package(_package_dir(srcdir)))
        _current[docname] = fingerprint(Path(app.env.doc2path(docname)), srcdir, _package[0])
    return _current[docname]


def _failed(env, docname: str) -> bool:
    data = (getattr(env, "nb_metadata", {}) or {}).get(docname, {}).get("exec_data")
    return bool(data) and data.get("succeeded") is False


def get_outdated(app, env, added, changed, removed):
    _current.clear()
    _package.clear()
    stored = _inputs(env)
    outdated, reasons = [], []
    for docname in sorted(env.found_docs):
        current = _compute(app, docname)
        if current is None or docname in added or docname in removed:
            continue
        before = stored.get(docname)
        if before is None:
            why = ["no fingerprint"]
        else:
            why = [part for part in ("text", "code", "reads", "env") if before.get(part) != current[part]]
            if _failed(env, docname):
                why.append("last execution failed")
        if why:
            outdated.append(docname)
            reasons.append(f"{docname} ({', '.join(why)})")
    if reasons:  # one line, after Sphinx's "updating environment: "
        logger.info("chapter inputs changed: %s", "; ".join(reasons))
    return outdated


def source_read(app, docname, source):
    """Store the fingerprint of the inputs as they are when the chapter is read (before it
    runs): a record that changes while it runs makes the next build read it again."""
    current = _compute(app, docname)
    if current is not None:
        _inputs(app.env)[docname] = current


def purge_doc(app, env, docname):
    _inputs(env).pop(docname, None)


def merge_info(app, env, docnames, other):
    theirs = _inputs(other)
    mine = _inputs(env)
    for docname in docnames:
        if docname in theirs:
            mine[docname] = theirs[docname]


def builder_inited(app):
    _inputs(app.env)


def setup(app):
    app.connect("builder-inited", builder_inited)
    app.connect("env-get-outdated", get_outdated)
    app.connect("env-purge-doc", purge_doc)
    app.connect("source-read", source_read)
    app.connect("env-merge-info", merge_info)
    return {"version": "1", "env_version": 1,
            "parallel_read_safe": True, "parallel_write_safe": True}
