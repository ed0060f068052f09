"""Style labels for mined files, found in their path or in metadata beside them.

Every file gets a **label** (the finest description found: a Groove MIDI Dataset style such as ``funk/groove1``,
or the file's name) and a coarse **style** from a fixed vocabulary (:data:`STYLES`), used to colour the map.

Where a label comes from, first match wins:

1. Groove MIDI Dataset metadata: an ``info.csv`` with ``midi_filename`` and ``style`` columns in the folder
   mined (or a folder between it and the file): its ``style`` (e.g. ``rock/shuffle`` → style ``rock``, the part
   before the slash).
2. A Groove MIDI Dataset file name ``<id>_<style>_<bpm>_<beat|fill>_<meter>.mid`` (``jazz-funk`` → ``jazz``).
3. Keywords in the path below the folder mined (file and folder names, lower case), in the order of
   :data:`KEYWORDS` (``rockballad`` → ``ballad``, ``jazzrock`` → ``jazz``, ``8beatmotown`` → ``soul``).
4. The fallback given for the folder (``rvae mine --style DIR=STYLE``), else ``other``.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Mapping
from pathlib import Path

#: Coarse style → keywords that name it in a path, in the order they are tried.
KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("hiphop", ("hiphop", "hip-hop", "hip_hop")),
    ("funk", ("funk",)),
    ("soul", ("soul", "motown", "rnb", "r&b", "rb-ballad", "rb_")),
    ("reggae", ("reggae", "ska", "dancehall")),
    (
        "latin",
        (
            "latin",
            "bossa",
            "samba",
            "salsa",
            "mambo",
            "rhumba",
            "rumba",
            "chacha",
            "cha-cha",
            "tango",
            "merengue",
            "bolero",
            "beguine",
            "calypso",
            "clave",
            "afrocuban",
            "cumbia",
            "guajira",
            "songo",
            "bachata",
            "cuban",
            "bembe",
            "montuno",
            "habanera",
        ),
    ),
    ("afro", ("afrobeat", "african", "highlife", "afro")),
    ("blues", ("blues", "shuffle", "boogie", "boggie")),
    (
        "jazz",
        (
            "jazz",
            "swing",
            "bebop",
            "bigband",
            "dixie",
            "charleston",
            "neworleans",
            "ragtime",
            "foxtrot",
            "quickstep",
            "softshoe",
            "cabaret",
        ),
    ),
    ("country", ("country", "bluegrass", "zydeco", "western", "cajun", "hillbilly")),
    ("folk", ("folk", "polka", "irish", "klezmer", "celtic", "jig")),
    ("march", ("march",)),
    ("waltz", ("waltz",)),
    ("ballad", ("ballad",)),
    ("dance", ("disco", "dance", "trance", "techno", "house", "electro", "edm", "twist")),
    ("gospel", ("gospel", "spiritual")),
    ("metal", ("metal",)),
    ("punk", ("punk",)),
    ("rock", ("rock", "8beat", "16beat")),
    ("pop", ("pop",)),
    ("middle-eastern", ("middleeastern", "middle-eastern", "arabic")),
)
STYLES: tuple[str, ...] = (*(s for s, _ in KEYWORDS), "other")
FALLBACK = "other"
_GMD_NAME = re.compile(r"^\d+_([a-z]+(?:-[a-z0-9]+)*)_\d+_(?:beat|fill)_\d+-\d+$")


def style_of_text(text: str) -> str | None:
    """The coarse style named by ``text`` (keywords of :data:`KEYWORDS`, case-insensitive), or None."""
    low = text.lower()
    for style, words in KEYWORDS:
        if any(w in low for w in words):
            return style
    return None


class Labeller:
    """Labels files found under one folder (``root``), with an optional fallback style for that folder."""

    def __init__(self, root: str | os.PathLike[str], fallback: str | None = None) -> None:
        self.root = Path(root)
        self.fallback = fallback or FALLBACK
        self._metadata: dict[Path, dict[str, str]] = {}

    def _gmd_styles(self, folder: Path) -> Mapping[str, str]:
        """``midi_filename`` → ``style`` of an ``info.csv`` in ``folder`` (empty if none or unreadable)."""
        if folder not in self._metadata:
            table: dict[str, str] = {}
            info = folder / "info.csv"
            if info.is_file():
                try:
                    with open(info, newline="", encoding="utf-8") as fh:
                        for row in csv.DictReader(fh):
                            name, style = row.get("midi_filename"), row.get("style")
                            if name and style:
                                table[name] = style
                except (OSError, UnicodeDecodeError, csv.Error):
                    table = {}
            self._metadata[folder] = table
        return self._metadata[folder]

    def label(self, path: str | os.PathLike[str]) -> tuple[str, str]:
        """``(style, label)`` of a file under the root."""
        p = Path(path)
        try:
            rel = p.relative_to(self.root)
        except ValueError:
            rel = Path(p.name)
        folder = self.root if self.root.is_dir() else self.root.parent
        for depth in range(len(rel.parts)):
            base = folder.joinpath(*rel.parts[:depth])
            style = self._gmd_styles(base).get(Path(*rel.parts[depth:]).as_posix())
            if style:
                return _coarse(style.split("/")[0]) or self.fallback, style
        match = _GMD_NAME.match(p.stem.lower())
        if match:
            fine = match.group(1)
            return _coarse(fine.split("-")[0]) or style_of_text(fine) or self.fallback, fine.replace("-", "/", 1)
        stem = p.stem
        label = stem.split("__")[-1] if "__" in stem else stem
        found = style_of_text(rel.as_posix())
        return found or self.fallback, label


def _coarse(word: str) -> str | None:
    if word in STYLES:
        return word
    return style_of_text(word)


__all__ = ["FALLBACK", "KEYWORDS", "STYLES", "Labeller", "style_of_text"]
