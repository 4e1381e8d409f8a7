"""Every shipped language is complete and its compiled catalogue matches the source."""

import polib
import pytest
from django.utils import translation

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


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_plural_messages_are_translated_for_every_count(language):
    # A catalogue whose Plural-Forms header disagreed with its entries once served
    # "La reserva abre 1 día" but "Booking opens 3 days" to Spanish members.
    entries = [
        entry
        for path in po_files()
        if path.parts[-3] == language
        for entry in polib.pofile(str(path)).translated_entries()
    ]
    untranslated = []
    with translation.override(language):
        for entry in entries:
            if not entry.msgid_plural:
                continue
            for n in (1, 2, 5):
                text = (
                    translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                    if entry.msgctxt
                    else translation.ngettext(entry.msgid, entry.msgid_plural, n)
                )
                if text not in entry.msgstr_plural.values():
                    untranslated.append((entry.msgid, n, text))
    assert untranslated == []
