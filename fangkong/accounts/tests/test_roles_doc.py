from pathlib import Path

from fangkong.accounts.management.commands.roles import roles_markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "roles.md"


def test_docs_roles_md_is_up_to_date():
    """Regenerate with: fangkong roles > docs/roles.md"""
    assert DOC.read_text(encoding="utf-8") == roles_markdown()
