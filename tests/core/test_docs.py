"""Docs that cannot drift: every error code and every live frame type is documented."""

from __future__ import annotations

import ast
import functools
import io
import os
import re
import tokenize
from pathlib import Path

from auction.bidding.rules import Refusal
from tests.harness.servers import ROOT

APPS = [
    "core",
    "accounts",
    "enforcement",
    "auction",
    "payments",
    "frontend",
    "support",
    "aftersale",
]
CODE_KEYWORD = re.compile(r'\bcode="([a-z_]+)"')
CODE_ATTRIBUTE = re.compile(r'^\s+code = "([a-z_]+)"', re.M)
FRAME_TYPE = re.compile(r'"type":\s*"([a-z_]+)"')


def documented_codes() -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+)` \|", (ROOT / "docs" / "errors.md").read_text(), re.M))


def python_sources(*apps: str) -> list:
    return [
        path
        for app in apps
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    ]


def test_every_error_code_of_every_app_is_documented():
    used: set[str] = set()
    for path in python_sources(*[app for app in APPS if (ROOT / app).exists()]):
        text = path.read_text()
        used |= set(CODE_KEYWORD.findall(text)) | set(CODE_ATTRIBUTE.findall(text))
    used |= {refusal.value for refusal in Refusal}

    missing = used - documented_codes()

    assert not missing, f"document in docs/errors.md: {sorted(missing)}"


def test_every_frame_type_of_the_lot_socket_is_documented():
    sources = [
        ROOT / "auction" / name
        for name in (
            "events.py",
            "consumers.py",
            "selectors.py",
            "protocol.py",
            "bidding/frames.py",
        )
    ]
    sources.append(ROOT / "core" / "live" / "hub.py")
    used = {kind for path in sources for kind in FRAME_TYPE.findall(path.read_text())}
    used |= {"batch", "resync"}
    protocol = (ROOT / "docs" / "live-protocol.md").read_text()
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", protocol, re.M))

    missing = used - documented

    assert not missing, f"document in docs/live-protocol.md: {sorted(missing)}"


def test_every_test_the_guarantees_name_exists():
    readme = (ROOT / "README.md").read_text()
    section = readme[
        readme.index("## Guarantees") : readme.index("\n## ", readme.index("## Guarantees") + 1)
    ]
    named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", section)
    assert len(named) > 40
    missing = [
        f"{path}::{name}" if name else path
        for path, name in named
        if not (ROOT / path).exists()
        or (name and not re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text(), re.M))
    ]
    assert not missing, "README's Guarantees name tests that do not exist"


# --- paths and sections that docs and comments name ------------------------------------------
#
# A reader follows `core/live/hub.py` or `docs/concurrency.md, "The hot lot"` from a comment or a
# document: the file must be in the repository, and the section in the document. What counts
# as a path: a token with a slash whose first part is a top-level directory of the repository
# or whose name ends in a known extension, and a bare `*.md` name (which must be the name of a
# document somewhere in the repository). Not paths: URLs, absolute paths, placeholders
# (`DIR/results.json`, `<id>`) and what runs make (var/, node_modules, tests/artifacts...).

SKIPPED_DIRS = {".git", ".venv", "node_modules", "var", "__pycache__", ".ruff_cache", "artifacts"}
MADE_BY_RUNS = ("var", "node_modules", ".venv", "tests/artifacts", "bench/results/raw")
EXTENSIONS = {"py", "md", "js", "css", "html", "txt", "json", "toml", "lock", "yml", "yaml"}
EXTENSIONS |= {"sh", "po", "cfg", "ini", "png", "svg", "csv", "xlsx", "pdf", "xml"}
PATH = re.compile(
    r"(?<![\w/.:@<{$-])"  # not inside a URL, an absolute path, a dotted name or a placeholder
    r"((?:\.\./)*[A-Za-z_][\w.-]*(?:/[\w.-]+)*/?)"
    r"(?![\w/<{*…(])"
)
# `docs/concurrency.md, "The hot lot"` or `docs/concurrency.md ("The hot lot")`, the name of
# the document possibly a Markdown link.
CITATION = re.compile(
    r"((?:\.\./)*(?:[\w-]+/)*[\w-]+\.md)"
    r"(?:\]\([^)\s]*\))?"
    r"(?:,|\s*\()\s*(?:(?:#|//)\s*)?"  # a comment may go on to its next line
    r"[\"“]([^\"”]+)[\"”]"
)
MARKDOWN_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)\s]*)?\)")
JS_COMMENT = re.compile(r"(?<![:\\])//[^\n]*|/\*.*?\*/", re.S)
HTML_COMMENT = re.compile(
    r"<!--.*?-->|\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S
)
SHELL_COMMENT = re.compile(r"(?:^|\s)#(?!!)[^\n]*", re.M)


@functools.cache
def _repository() -> tuple[Path, ...]:
    """Every file of the repository, outside what runs make (walked once)."""
    found = []
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED_DIRS]
        found += [Path(folder) / name for name in names]
    return tuple(sorted(found))


def repository_files(*names: str) -> list[Path]:
    """The repository's files whose names end with one of `names`."""
    return [path for path in _repository() if str(path).endswith(names)]


def documents() -> list[Path]:
    return [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md", ROOT / "bench" / "README.md"]


def python_comments(path: Path) -> str:
    """The comments and docstrings of a Python module, one after another."""
    source = path.read_text()
    parts = [
        token.string
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    ]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            docstring = ast.get_docstring(node, clean=False)
            if docstring:
                parts.append(docstring)
    return "\n".join(parts)


def explanations() -> list[tuple[Path, str]]:
    """Every document whole, and the comments and docstrings of every source, by file."""
    texts = [(path, path.read_text()) for path in documents()]
    texts += [(path, python_comments(path)) for path in repository_files(".py")]
    for pattern, names in (
        (JS_COMMENT, (".js",)),
        (HTML_COMMENT, (".html",)),
        (SHELL_COMMENT, (".sh", ".ci/run", "Makefile", "Dockerfile")),
    ):
        texts += [
            (path, "\n".join(pattern.findall(path.read_text())))
            for path in repository_files(*names)
            if not path.name.endswith(".min.js")
        ]
    return texts


def named_paths(text: str) -> set[str]:
    """The repository paths `text` names (see above)."""
    top_level = {p.name for p in ROOT.iterdir() if p.is_dir() and p.name not in SKIPPED_DIRS}
    named = set()
    for token in PATH.findall(text):
        token = token.rstrip(".")
        parts = token.strip("/").split("/")
        made = any(token == made or token.startswith(f"{made}/") for made in MADE_BY_RUNS)
        if made or any(part.isupper() for part in parts[:-1]):
            continue  # made by a run, or a placeholder such as DIR/
        extension = parts[-1].rsplit(".", 1)[-1] if "." in parts[-1] else ""
        if len(parts) == 1:
            if extension == "md":
                named.add(token)
        elif parts[0] in top_level or parts[0] == ".." or extension in EXTENSIONS:
            named.add(token)
    return named


def exists(name: str, cited_in: Path) -> bool:
    """Whether `name` is a file or folder from the root or from the citing file's folder; a bare
    document name, anywhere in the repository."""
    if "/" not in name:
        return any(path.name == name for path in _repository())
    return (ROOT / name).exists() or (cited_in.parent / name).exists()


def test_every_path_a_doc_or_comment_names_exists():
    named = [
        (path, name)
        for path, text in explanations()
        for name in named_paths(text)
        | (set(MARKDOWN_LINK.findall(text)) if path.suffix == ".md" else set())
        if "://" not in name and not name.startswith(("mailto:", "/", "#"))
    ]
    assert any(name == "docs/concurrency.md" for _path, name in named)
    missing = sorted(
        {f"{path.relative_to(ROOT)}: {name}" for path, name in named if not exists(name, path)}
    )

    assert not missing, "these name a file that is not in the repository:\n" + "\n".join(missing)


def headings(document: Path) -> set[str]:
    return {
        line.lstrip("#").strip()
        for line in document.read_text().splitlines()
        if line.startswith("#")
    }


def test_every_section_a_doc_or_comment_cites_exists():
    cited = [
        # A section name broken over two comment lines is read as one line.
        (path, target, " ".join(re.sub(r"\n\s*(?:#|//)?", " ", section).split()))
        for path, text in explanations()
        for target, section in CITATION.findall(text)
    ]
    assert any(target == "docs/concurrency.md" for _path, target, _section in cited)
    missing = []
    for path, target, section in cited:
        document = next(
            (base / target for base in (ROOT, path.parent) if (base / target).is_file()), None
        )
        if document is None or section not in headings(document):
            missing.append(f'{path.relative_to(ROOT)}: {target}, "{section}"')

    assert not missing, (
        "these cite a section that is not a heading of that document:\n" + "\n".join(missing)
    )
