#!/usr/bin/env python3
"""Writes DeepSim.Engine/Data/dipole-moments.json: ChemSep's dipole moment (debye) per CAS number.

Kept apart from components.json so the model-sanity rules (polar mixtures, which kij matter) can read it without
re-converting the component database. Usage: python3 tools/ChemSepConvert/dipoles.py [chemsep-dir]
"""
import json
import os
import sys
import xml.etree.ElementTree as ET

SRC = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/chemsep"
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "DeepSim.Engine", "Data", "dipole-moments.json")
DEBYE_CM = 3.33564e-30  # 1 D in C·m


def main():
    dipoles = {}
    for f in ("chemsep1.xml", "chemsep2.xml"):
        for c in ET.parse(os.path.join(SRC, f)).getroot().findall("compound"):
            cas = c.find("CAS").get("value").strip()
            d = c.find("DipoleMoment")
            if cas and d is not None and cas not in dipoles:
                dipoles[cas] = round(float(d.get("value")) / DEBYE_CM, 3)
    doc = {
        "source": "ChemSep chemsep1.xml v8.00 and chemsep2.xml v8.31 (Artistic License 2.0), DipoleMoment converted from C·m to debye",
        "units": "debye",
        "dipoleMoments": dict(sorted(dipoles.items())),
    }
    with open(OUT, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=0, ensure_ascii=False)
        fh.write("\n")
    print(f"{len(dipoles)} dipole moments written to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
