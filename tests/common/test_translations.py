"""Every shipped language is complete and its compiled catalogue matches the source."""

import polib
import pytest

from apps.common.management.commands.compilemessages_py import po_files

LANGUAGES = {"es", "fr", "de"}


def test_every_language_has_a_catalogue():
    assert {path.parts[-3] for path in po_files()} >= LANGUAGES


@pytest.mark.parametrize("po_path", po_files(), ids=lambda p: "/".join(p.parts[-5:-2]))
def test_catalogue_is_fully_translated_and_compiled(po_path):
    po = polib.pofile(str(po_path))
    missing = [e.msgid for e in po.untranslated_entries() + po.fuzzy_entries()]
    assert missing == [], f"untranslated in {po_path}: {missing[:5]}"
    mo = polib.mofile(str(po_path.with_suffix(".mo")))
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo}
    for entry in po.translated_entries():
        if not entry.msgid_plural:
            assert compiled.get((entry.msgctxt, entry.msgid)) == entry.msgstr, entry.msgid
