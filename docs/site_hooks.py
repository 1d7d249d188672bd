"""MkDocs hooks: the README, benchmarks/README.md, conf/README.md and CHANGELOG.md become site pages.

They stay where GitHub and a checkout show them; the site gets generated copies whose relative links
are rewritten to the site's pages, so one set of links works in both places.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
# Repository file -> its page in the site.
PAGES = {
    "README.md": "index.md",
    "benchmarks/README.md": "benchmarks.md",
    "conf/README.md": "configuration.md",
    "CHANGELOG.md": "changelog.md",
}
LINK = re.compile(r"(\]\()([^)#\s]+)((?:#[^)\s]*)?\))")


def site_path(repo_path: str) -> str | None:
    """Where a repository file is in the site; None when it is not part of it."""
    if repo_path in PAGES:
        return PAGES[repo_path]
    return repo_path.removeprefix("docs/") if repo_path.startswith("docs/") else None


def rewrite(markdown: str, source: str) -> str:
    """Relative links of repository file `source`, pointed at the site's pages."""
    page = site_path(source) or source

    def to_site(match: re.Match) -> str:
        target = match.group(2)
        if "://" in target or target.startswith(("/", "mailto:")):
            return match.group(0)
        in_site = site_path(posixpath.normpath(posixpath.join(posixpath.dirname(source), target)))
        if in_site is None:
            return match.group(0)  # left as it is, for --strict to report
        return match.group(1) + posixpath.relpath(in_site, posixpath.dirname(page) or ".") + match.group(3)

    return LINK.sub(to_site, markdown)


def on_files(files: Files, config) -> Files:  # noqa: ANN001 - MkDocs' hook signature
    for source, page in PAGES.items():
        files.append(File.generated(config, page, content=rewrite((ROOT / source).read_text(), source)))
    return files


def on_page_markdown(markdown: str, page, **kwargs) -> str:  # noqa: ANN001 - MkDocs' hook signature
    if page.file.generated_by:
        return markdown  # rewritten when generated
    return rewrite(markdown, f"docs/{page.file.src_uri}")
