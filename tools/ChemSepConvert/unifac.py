#!/usr/bin/env python3
"""Writes DeepSim.Engine/Data/unifac-groups.json and unifac-parameters.json for the original UNIFAC (VLE) model.

unifac-groups.json: ChemSep's <UnifacVLE name="UNIFAC"> group assignment per CAS number, renumbered to the standard
DDBST/UNIFAC-consortium subgroup numbers. ChemSep numbers the subgroups in main-group order, with C=C (standard 70,
a later addition to main group 2) at 9, so ChemSep 10-70 are standard 9-69 and ChemSep 71-108 are standard 71-108.
ChemSep ids above 108 follow no published numbering and are dropped with the compound (it gets no assignment).

unifac-parameters.json: R, Q per subgroup and a_mn (K) per main-group pair, from the two tables next to this script
(unifac-subgroups.tsv, unifac-interactions.tsv), which tabulate Hansen et al. (1991) with the UNIFAC consortium's
revisions. Usage: python3 tools/ChemSepConvert/unifac.py [chemsep-dir]
"""
import json
import os
import sys
import xml.etree.ElementTree as ET

SRC = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/chemsep"
HERE = os.path.dirname(__file__)
DATA = os.path.join(HERE, "..", "..", "DeepSim.Engine", "Data")
SOURCE = ("Hansen, Rasmussen, Fredenslund, Schiller and Gmehling, Ind. Eng. Chem. Res. 30 (1991) 2352-2355, "
          "with the revisions of the UNIFAC consortium's list of published parameters (DDBST, published-parameters-unifac)")


def standard_subgroup(chemsep_id):
    if chemsep_id <= 8:
        return chemsep_id
    if chemsep_id == 9:
        return 70
    if chemsep_id <= 70:
        return chemsep_id - 1
    if chemsep_id <= 108:
        return chemsep_id
    return None


def rows(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as fh:
        for line in fh:
            if line.strip() and not line.startswith("#"):
                yield line.rstrip("\n").split("\t")


def main():
    subgroups = {int(r[0]): {"name": r[1], "mainGroup": int(r[2]), "r": float(r[3]), "q": float(r[4])} for r in rows("unifac-subgroups.tsv")}
    interactions = [[int(r[0]), int(r[1]), float(r[2]), float(r[3])] for r in rows("unifac-interactions.tsv")]

    groups, dropped = {}, []
    for f in ("chemsep1.xml", "chemsep2.xml"):
        for c in ET.parse(os.path.join(SRC, f)).getroot().findall("compound"):
            cas = c.find("CAS").get("value").strip()
            name = c.find("CompoundID").get("value")
            element = next((e for e in c.findall("UnifacVLE") if e.get("name") == "UNIFAC"), None)
            if not cas or element is None or cas in groups:
                continue
            assignment = {}
            for g in element.findall("group"):
                sub = standard_subgroup(int(g.get("id")))
                if sub is None or sub not in subgroups:
                    assignment = None
                    break
                assignment[str(sub)] = assignment.get(str(sub), 0) + int(g.get("value"))
            if assignment:
                groups[cas] = dict(sorted(assignment.items(), key=lambda kv: int(kv[0])))
            else:
                dropped.append(name)

    with open(os.path.join(DATA, "unifac-groups.json"), "w", encoding="utf-8") as fh:
        json.dump({
            "source": "ChemSep chemsep1.xml v8.00 and chemsep2.xml v8.31 (Artistic License 2.0), UnifacVLE 'UNIFAC' group "
                      "assignments renumbered to the standard UNIFAC subgroup numbers (tools/ChemSepConvert/unifac.py)",
            "groups": dict(sorted(groups.items())),
        }, fh, indent=0, ensure_ascii=False)
        fh.write("\n")
    with open(os.path.join(DATA, "unifac-parameters.json"), "w", encoding="utf-8") as fh:
        json.dump({
            "source": SOURCE,
            "units": "R, Q dimensionless; a_mn in K, Psi_mn = exp(-a_mn / T)",
            "subgroups": [[k, v["name"], v["mainGroup"], v["r"], v["q"]] for k, v in sorted(subgroups.items())],
            "interactions": interactions,
        }, fh, indent=0, ensure_ascii=False)
        fh.write("\n")
    print(f"{len(groups)} group assignments, {len(subgroups)} subgroups, {len(interactions)} main-group pairs written; "
          f"{len(dropped)} compounds with ChemSep-only groups (above 108) dropped: {', '.join(dropped)}")


if __name__ == "__main__":
    main()
