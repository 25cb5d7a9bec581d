"""GB/T 4754-2017 industry codes as declared by applicants, read the way the notice needs them.

Applicants type codes as "C3670", "3670", "c 3670", "C3670、C3511" or with full-width commas; what the
scope decision needs is the two-digit division (大类) of each code, in the order declared (the first is
the unit's main industry). A division also names its section (门类), so a letter that contradicts the
digits ("I3670") is a typing error and the code counts as unrecognised (division 0), never as a guess.
"""
from __future__ import annotations

import re

# Section letter → the divisions (大类) it holds, GB/T 4754-2017.
SECTIONS = {
    "A": range(1, 6), "B": range(6, 13), "C": range(13, 44), "D": range(44, 47), "E": range(47, 51),
    "F": range(51, 53), "G": range(53, 61), "H": range(61, 63), "I": range(63, 66), "J": range(66, 70),
    "K": range(70, 71), "L": range(71, 73), "M": range(73, 76), "N": range(76, 80), "O": range(80, 83),
    "P": range(83, 84), "Q": range(84, 86), "R": range(86, 91), "S": range(91, 98), "T": range(98, 99),
}
MANUFACTURING = SECTIONS["C"]
MAX_CODES = 50  # a declaration lists a few codes; more is not a list of industries
_SEPARATORS = re.compile(r"[,，、;；/\s]+")
_CODE = re.compile(r"^([A-Ta-t])?(\d{2,4})$")
# Full-width digits and letters (ＣＮ３６７０) as their ASCII forms.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def section_of(division: int) -> str | None:
    return next((letter for letter, divisions in SECTIONS.items() if division in divisions), None)


def industry_divisions(codes) -> list[int]:
    """The division of each declared code, in order; 0 for a code that is not a GB/T 4754 code."""
    if not isinstance(codes, str):
        return []
    text = codes.translate(_FULL_WIDTH).strip()
    # "C 3670": a section letter typed apart from its digits.
    text = re.sub(r"(?<![A-Za-z0-9])([A-Ta-t])\s+(?=\d)", r"\1", text)
    divisions = []
    for token in _SEPARATORS.split(text)[:MAX_CODES]:
        if not token:
            continue
        match = _CODE.match(token)
        if match is None:
            divisions.append(0)
            continue
        letter, digits = (match.group(1) or "").upper(), match.group(2)
        division = int(digits[:2])
        section = section_of(division)
        divisions.append(division if section is not None and letter in ("", section) else 0)
    return divisions


def is_manufacturing(division: int) -> bool:
    return division in MANUFACTURING
