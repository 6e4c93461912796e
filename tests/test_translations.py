"""The Chinese and English catalogues are complete, and the committed .mo files match the .po."""

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ["zh_Hans", "en"]


def _unquote(chunks: list[str]) -> str:
    text = "".join(chunks)
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file: context, id, plural id, strings, flags (obsolete ones skipped)."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#~")]
        if not lines:
            continue
        entry = {"flags": set(), "msgctxt": None, "msgid": [], "msgid_plural": None, "msgstr": {}}
        current = None
        for line in lines:
            if line.startswith("#,"):
                entry["flags"].update(f.strip() for f in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif m := re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?) "(.*)"$', line):
                key, index, chunk = m.group(1), m.group(2), m.group(3)
                if key.startswith("msgstr"):
                    current = ("msgstr", int(index or 0))
                    entry["msgstr"][current[1]] = [chunk]
                else:
                    current = (key, None)
                    entry[key] = [chunk]
            elif line.startswith('"') and current:
                target = (
                    entry["msgstr"][current[1]] if current[0] == "msgstr" else entry[current[0]]
                )
                target.append(line[1:-1])
        if not entry["msgid"]:
            continue
        entries.append(
            {
                "flags": entry["flags"],
                "msgctxt": _unquote(entry["msgctxt"]) if entry["msgctxt"] else None,
                "msgid": _unquote(entry["msgid"]),
                "msgid_plural": _unquote(entry["msgid_plural"]) if entry["msgid_plural"] else None,
                "msgstr": {k: _unquote(v) for k, v in entry["msgstr"].items()},
            }
        )
    return entries


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_translates_every_string(language):
    entries = [e for e in parse_po(LOCALE / language / "LC_MESSAGES" / "django.po") if e["msgid"]]
    assert len(entries) > 300
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_keeps_every_placeholder(language):
    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for entry in parse_po(LOCALE / language / "LC_MESSAGES" / "django.po"):
        wanted = set(placeholder.findall(entry["msgid"])) | set(
            placeholder.findall(entry["msgid_plural"] or "")
        )
        for text in entry["msgstr"].values():
            assert set(placeholder.findall(text)) <= wanted, entry["msgid"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_has_compiled_the_catalogue(language):
    """The committed .mo holds exactly what the .po says: a fresh machine needs no gettext."""
    folder = LOCALE / language / "LC_MESSAGES"
    with open(folder / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for entry in parse_po(folder / "django.po"):
        if not entry["msgid"]:
            continue
        if entry["msgid_plural"]:
            text = (
                compiled.npgettext(entry["msgctxt"], entry["msgid"], entry["msgid_plural"], 1)
                if entry["msgctxt"]
                else compiled.ngettext(entry["msgid"], entry["msgid_plural"], 1)
            )
            assert text == entry["msgstr"][0], entry["msgid"]
        elif entry["msgctxt"]:
            assert compiled.pgettext(entry["msgctxt"], entry["msgid"]) == entry["msgstr"][0]
        else:
            assert compiled.gettext(entry["msgid"]) == entry["msgstr"][0], entry["msgid"]


@pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgmerge") is None,
    reason="GNU gettext (xgettext, msgmerge) is not installed: apt-get install gettext",
)
def test_every_string_of_the_code_is_in_the_catalogues(tmp_path):
    """`make messages` on a copy of the committed files adds nothing untranslated: a string
    written in a template or in Python and never extracted would show in English on a
    Chinese page (the two-factor pages' "Cancel and log out", moved into an include, did)."""
    root = LOCALE.parent
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the committed files cannot be listed")
    copy = tmp_path / "copy"
    for name in filter(None, listed.stdout.split("\0")):
        source = root / name
        if source.suffix in {".py", ".html", ".txt", ".po"} and source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "-l", "en"]
        + ["--no-location", "--ignore=.venv", "--ignore=var"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    for language in LANGUAGES:
        entries = parse_po(copy / "locale" / language / "LC_MESSAGES" / "django.po")
        missing = [
            e["msgid"]
            for e in entries
            if e["msgid"] and ("fuzzy" in e["flags"] or not all(e["msgstr"].values()))
        ]
        assert missing == [], f"{language}: not in the catalogue (make messages, then translate)"
        # An entry the catalogue kept only as obsolete (#~) is not compiled: msgmerge
        # brings it back translated, so compare the sets too.
        committed = parse_po(LOCALE / language / "LC_MESSAGES" / "django.po")
        wanted = {(e["msgctxt"], e["msgid"]) for e in entries if e["msgid"]}
        have = {(e["msgctxt"], e["msgid"]) for e in committed if e["msgid"]}
        assert sorted(wanted - have, key=str) == [], f"{language}: obsolete or missing entries"
