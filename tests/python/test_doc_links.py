"""Every link between the README and the docs leads somewhere: the file exists, and a `#anchor` names one of its
headings as GitHub makes them (lower case, punctuation dropped, spaces to hyphens, repeats numbered).

Run by CTest (test `python_output_tools`) or by hand from the repository root:
  /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/python/test_doc_links.py
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^()\s]*)\)")


def prose(path: Path) -> str:
    """The document without its fenced code blocks (a `# comment` there is no heading)."""
    return re.sub(r"^```.*?^```", "", path.read_text(), flags=re.S | re.M)


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6} (.*?)\s*$", prose(path), flags=re.M):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def broken_links(documents: list[Path], root: Path) -> tuple[int, list[str]]:
    """(links checked, the broken ones) among the relative links of `documents`."""
    checked, broken = 0, []
    for document in documents:
        for target in LINK.findall(prose(document).replace("\n", " ")):
            if re.match(r"[a-z]+:", target):  # https:, mailto:: not ours to check here
                continue
            checked += 1
            file_part, _, anchor = target.partition("#")
            path = (document.parent / file_part).resolve() if file_part else document
            where = f"{document.relative_to(root)} -> {target}"
            if not path.exists():
                broken.append(f"{where}: no such file")
            elif anchor and path.suffix == ".md" and anchor not in anchors(path):
                broken.append(f"{where}: no such heading")
    return checked, broken


def test_every_link_between_the_documents_leads_somewhere():
    checked, broken = broken_links(DOCUMENTS, ROOT)
    assert checked > 100  # the README and docs link to each other hundreds of times
    assert broken == []


def test_the_check_reports_a_missing_file_and_a_missing_heading(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Speed: warm arenas (issue 15, 3 Dec 2026)\n\n## Speed: warm arenas (issue 15, 3 Dec 2026)\n\n"
                    "See [this](#speed-warm-arenas-issue-15-3-dec-2026-1), [that](#speed-warm-arenas), "
                    "[gone](gone.md) and [code](https://example.org/x#y).\n\n```\n# not a heading\n```\n")
    assert anchors(page) == {"speed-warm-arenas-issue-15-3-dec-2026", "speed-warm-arenas-issue-15-3-dec-2026-1"}
    checked, broken = broken_links([page], tmp_path)
    assert checked == 3
    assert broken == ["page.md -> #speed-warm-arenas: no such heading", "page.md -> gone.md: no such file"]
