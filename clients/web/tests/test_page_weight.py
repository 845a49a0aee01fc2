"""The page's own files stay small: everything under clients/web/page/ under 150 KB (150,000 bytes), and
nothing in it that the page does not load (a stray file would be served and weigh without being seen)."""
from __future__ import annotations

import re
import unittest

import support

LIMIT_BYTES = 150_000
# A stylesheet or script in index.html, a module import (static or dynamic), a url() in CSS; data: and
# absolute addresses are not files.
REFERENCE = re.compile(r"""(?:href|src)="(?!data:|https?:|#)([^"?#]+)"|from\s+['"](\./[^'"]+)['"]|import\(\s*['"](\./[^'"]+)['"]\s*\)|url\(\s*['"]?(?!data:)([^'")]+)""")


class PageWeightTests(unittest.TestCase):
    def test_the_page_weighs_under_150_kb(self) -> None:
        sizes = {path.name: path.stat().st_size for path in support.PAGE_DIR.rglob("*") if path.is_file()}
        total = sum(sizes.values())
        listing = ", ".join(f"{name} {size:,}" for name, size in sorted(sizes.items(), key=lambda item: -item[1]))
        self.assertLess(total, LIMIT_BYTES, f"clients/web/page/ weighs {total:,} bytes: {listing}")

    def test_the_page_loads_every_file_it_has_and_has_every_file_it_loads(self) -> None:
        files = {path.relative_to(support.PAGE_DIR).as_posix() for path in support.PAGE_DIR.rglob("*") if path.is_file()}
        referenced = {"index.html"}
        for name in files:
            if name.endswith((".html", ".js", ".css")):
                text = (support.PAGE_DIR / name).read_text()
                referenced |= {part.removeprefix("./") for match in REFERENCE.findall(text) for part in match if part}
        self.assertEqual(sorted(files - referenced), [], "files in clients/web/page/ that nothing loads")
        self.assertEqual(sorted(referenced - files), [], "files the page loads that clients/web/page/ lacks")
