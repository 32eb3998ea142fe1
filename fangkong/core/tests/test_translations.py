"""Every English catalogue is complete: no untranslated and no fuzzy entries.

Apps without a `locale/` directory yet are covered by the project catalogue (`fangkong/locale`)."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(ROOT.glob("**/locale/en/LC_MESSAGES/django.po"))


def _entries(text: str):
    text = re.sub(r'^(".*")\n(#)', r"\1\n\n\2", text, flags=re.M)  # an entry glued to the header
    for block in re.split(r"\n\s*\n", text):
        lines = block.strip().splitlines()
        vals: dict[str, str] = {}
        cur = None
        for line in lines:
            m = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if m:
                cur = m.group(1)
                vals[cur] = ast.literal_eval(m.group(2))
            elif line.startswith('"') and cur:
                vals[cur] += ast.literal_eval(line)
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        if vals.get("msgid"):
            yield vals, fuzzy


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_complete(po):
    bad = []
    for vals, fuzzy in _entries(po.read_text(encoding="utf-8")):
        strs = [v for k, v in vals.items() if k.startswith("msgstr")]
        if fuzzy or not strs or not all(strs):
            bad.append(("fuzzy: " if fuzzy else "untranslated: ") + vals["msgid"])
    assert not bad, f"{po.relative_to(ROOT)}:\n" + "\n".join(bad)
