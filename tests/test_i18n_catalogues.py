"""Every marked string has a Chinese translation, and the compiled catalogues are current."""

import io
import subprocess
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted((ROOT / "translations").glob("*/zh/LC_MESSAGES/messages.po"))


def _po(path: Path):
    with path.open("rb") as f:
        return read_po(f)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-4])
def test_every_message_of_the_catalogue_is_translated_and_none_is_fuzzy(po):
    catalog = _po(po)
    untranslated = [
        m.id
        for m in catalog
        if m.id and not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


def _messages(catalog) -> dict:
    # Plural messages have tuples (or lists) of ids and strings.
    def key(value):
        return value if isinstance(value, str) else tuple(value)

    return {key(m.id): key(m.string) for m in catalog if m.id}


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-4])
def test_compiled_catalogue_matches_its_source(po):
    expected = io.BytesIO()
    write_mo(expected, _po(po))
    with po.with_suffix(".mo").open("rb") as f:
        compiled = read_mo(f)
    assert _messages(compiled) == _messages(read_mo(io.BytesIO(expected.getvalue()))), (
        f"run translations/catalog compile for {po}"
    )


def test_every_string_marked_for_translation_is_in_a_catalogue(tmp_path):
    pot = tmp_path / "all.pot"
    subprocess.run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            "translations/babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "N_",
            "-o",
            str(pot),
            "tracker",
            "templates",
        ],
        cwd=ROOT,
        check=True,
    )
    marked = {m.id if isinstance(m.id, str) else m.id[0] for m in _po(pot) if m.id}
    known = set()
    for po in CATALOGUES:
        known |= {m.id if isinstance(m.id, str) else m.id[0] for m in _po(po) if m.id}
    assert sorted(marked - known) == []


def test_no_message_has_two_different_translations_in_two_catalogues():
    # The catalogues merge into one at run time: only one of two translations would show.
    seen: dict = {}
    clashes = []
    for po in CATALOGUES:
        for m in _po(po):
            if not m.id:
                continue
            key = m.id if isinstance(m.id, str) else tuple(m.id)
            string = m.string if isinstance(m.string, str) else tuple(m.string)
            if key in seen and seen[key][1] != string:
                clashes.append((key, seen[key], (po.parts[-4], string)))
            seen.setdefault(key, (po.parts[-4], string))
    assert clashes == []
