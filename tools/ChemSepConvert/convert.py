#!/usr/bin/env python3
"""Convert ChemSep pure-component XML + pr.ipd, srk.ipd, nrtl.ipd, wilson.ipd, uniquac.ipd into DeepSim.Engine/Data/components.json.

Usage: python3 tools/ChemSepConvert/convert.py [chemsep-dir] [output-json]
Defaults: /work/shared/data/chemsep and DeepSim.Engine/Data/components.json (relative to repo root).

Constants are converted to SI on a mole basis (kg/mol, m3/mol, J/mol). Correlations keep ChemSep's
published coefficients unchanged; a per-correlation "scale" converts the kmol basis to mol
(value_SI = scale * f(T)), so every coefficient can be compared with the source by eye.
"""
import json, math, os, re, sys
import xml.etree.ElementTree as ET

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SRC = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/chemsep"
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "DeepSim.Engine", "Data", "components.json")

ATTRIBUTION = ("Pure-component data (constants and the correlations for ideal-gas Cp, vapour pressure, liquid density, heat of vaporization, liquid and vapour viscosity and thermal conductivity, surface tension), Peng-Robinson and SRK kij and the NRTL, Wilson and UNIQUAC binary parameters from ChemSep "
               "(chemsep1.xml v8.00, chemsep2.xml v8.31, pr.ipd, srk.ipd, nrtl.ipd, wilson.ipd, uniquac.ipd; the activity-model "
               "parameters are DECHEMA fits at 1 atm, in cal/mol as published), "
               "Copyright (c) Harry Kooijman and Ross Taylor, distributed under the Artistic License 2.0 "
               "(http://www.perlfoundation.org/artistic_license_2_0), as published in the DWSIM repository "
               "(DWSIM.Thermodynamics/Assets/). Converted by tools/ChemSepConvert/convert.py: constants to SI mole basis; "
               "correlation coefficients unchanged, with a scale factor for the kmol to mol conversion.")

# Equation forms the engine evaluates (DeepSim.Engine/Components/Correlation.cs).
SUPPORTED = {1, 2, 3, 4, 5, 10, 16, 100, 101, 102, 104, 105, 106, 107}

# Atomic masses (IUPAC 2013 conventional), used only to check parsed formulas against ChemSep's MW.
MASS = {"H": 1.008, "He": 4.0026, "Li": 6.94, "B": 10.81, "C": 12.011, "N": 14.007, "O": 15.999, "F": 18.998,
        "Ne": 20.180, "Na": 22.990, "Mg": 24.305, "Al": 26.982, "Si": 28.085, "P": 30.974, "S": 32.06, "Cl": 35.45,
        "Ar": 39.948, "K": 39.098, "Ca": 40.078, "Ti": 47.867, "Fe": 55.845, "Br": 79.904, "Kr": 83.798,
        "I": 126.90, "Xe": 131.29, "Hg": 200.59, "Rn": 222.0, "Se": 78.97, "Sn": 118.71, "Ge": 72.63, "As": 74.92,
        "Zn": 65.38, "Cu": 63.546, "Pb": 207.2, "Sb": 121.76, "Te": 127.60, "Bi": 208.98, "Cd": 112.41, "Co": 58.93,
        "Ni": 58.69, "Mn": 54.94, "Cr": 52.00, "V": 50.94, "Mo": 95.95, "W": 183.84, "Ga": 69.72, "In": 114.82,
        "Tl": 204.38, "Be": 9.012, "D": 2.014, "T": 3.016}


def parse_structure(s):
    """Element counts from a ChemSep structure formula such as CH3(C6H4)CH(CH3)2 or -CH2(CH2)4-."""
    tokens = re.findall(r"[A-Z][a-z]?|\d+(?:\.\d+)?|\(|\)|.", s)
    stack = [{}]
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t == "(":
            stack.append({})
        elif t == ")":
            group = stack.pop()
            mult = 1.0
            if i + 1 < len(tokens) and re.match(r"\d", tokens[i + 1]):
                mult = float(tokens[i + 1]); i += 1
            for k, v in group.items():
                stack[-1][k] = stack[-1].get(k, 0) + v * mult
        elif re.match(r"[A-Z]", t):
            if t not in MASS:
                return None
            n = 1.0
            if i + 1 < len(tokens) and re.match(r"\d", tokens[i + 1]):
                n = float(tokens[i + 1]); i += 1
            stack[-1][t] = stack[-1].get(t, 0) + n
        elif t in "-=#. ":
            pass
        else:
            return None
        i += 1
    return stack[0] if len(stack) == 1 else None


def hill(counts):
    def part(el):
        n = counts[el]
        return el + ("" if n == 1 else (str(int(n)) if n == int(n) else str(n)))
    keys = list(counts)
    if "C" in counts:
        order = ["C"] + (["H"] if "H" in counts else []) + sorted(k for k in keys if k not in ("C", "H"))
    else:
        order = sorted(keys)
    return "".join(part(k) for k in order)


def num(c, tag):
    e = c.find(tag)
    if e is None or e.get("value") is None:
        return None
    return float(e.get("value"))


def corr(c, tag, scale):
    e = c.find(tag)
    if e is None:
        return None
    eq = int(e.find("eqno").get("value"))
    coeffs = []
    for letter in "ABCDE":
        x = e.find(letter)
        coeffs.append(float(x.get("value")) if x is not None else 0.0)
    tmin = float(e.find("Tmin").get("value")); tmax = float(e.find("Tmax").get("value"))
    return {"eq": eq, "c": coeffs, "tmin": tmin, "tmax": tmax, "scale": scale, "units": e.get("units")}


def read_ipd(name):
    """[casA, casB, k12] per CAS pair of a ChemSep .ipd file, in file order."""
    kij = []
    seen = set()
    with open(os.path.join(SRC, name), encoding="latin-1") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 3 or not re.match(r"^\d+-\d+-\d$", parts[0]) or not re.match(r"^\d+-\d+-\d$", parts[1]):
                continue
            key = tuple(sorted((parts[0], parts[1])))
            # The .ipd files list several DECHEMA fits (different temperature ranges or data sets) for some pairs;
            # the first listed is kept: a fixed, reproducible rule (documented in Data/README.md).
            if key in seen:
                continue
            seen.add(key)
            kij.append([parts[0], parts[1], float(parts[2])])
    return kij


def read_activity_ipd(name, columns):
    """[casA, casB, A12, A21(, alpha12)] per CAS pair of an activity-model .ipd file, in file order, orientation kept.

    A12 belongs to the pair in the order the file lists it (casA, casB); the engine swaps A12/A21 for the reverse
    order. Several DECHEMA fits are listed for some pairs; the first listed is kept, as for the cubic kij.
    """
    rows = []
    seen = set()
    with open(os.path.join(SRC, name), encoding="latin-1") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 2 + columns or not re.match(r"^\d+-\d+-\d$", parts[0]) or not re.match(r"^\d+-\d+-\d$", parts[1]):
                continue
            key = tuple(sorted((parts[0], parts[1])))
            if key in seen or parts[0] == parts[1]:
                continue
            seen.add(key)
            rows.append([parts[0], parts[1]] + [float(x) for x in parts[2:2 + columns]])
    return rows


def main():
    compounds, notes = [], []
    for f in ("chemsep1.xml", "chemsep2.xml"):
        root = ET.parse(os.path.join(SRC, f)).getroot()
        for c in root.findall("compound"):
            name = c.find("CompoundID").get("value").strip()
            structure = c.find("StructureFormula").get("value").strip()
            mw = num(c, "MolecularWeight")
            counts = parse_structure(structure)
            formula = ""
            if counts and all(v == int(v) for v in counts.values()):
                calc = sum(MASS[k] * v for k, v in counts.items())
                if abs(calc - mw) / mw < 0.01:
                    formula = hill(counts)
                else:
                    notes.append(f"{name}: structure {structure} gives MW {calc:.2f} vs {mw}; formula left empty")
            else:
                notes.append(f"{name}: structure {structure} not parsed; formula left empty")
            vp = corr(c, "VaporPressure", 1.0)
            if vp is None or vp["eq"] not in SUPPORTED:
                # Eq 200 (a ChemSep-specific Wagner-type form) cannot be verified; ChemSep's Antoine fit is used instead.
                why = "absent" if vp is None else f"eq {vp['eq']} unsupported"
                vp = corr(c, "AntoineVaporPressure", 1.0)
                notes.append(f"{name}: vapour pressure {why}; using AntoineVaporPressure")
            rec = {
                "name": name,
                "cas": c.find("CAS").get("value").strip(),
                "formula": formula,
                "structure": structure,
                "mw": mw / 1000.0,
                "tc": num(c, "CriticalTemperature"),
                "pc": num(c, "CriticalPressure"),
                "vc": num(c, "CriticalVolume") / 1000.0,
                "zc": num(c, "CriticalCompressibility"),
                "omega": num(c, "AcentricityFactor"),
                "tb": num(c, "NormalBoilingPointTemperature"),
                "hf": num(c, "HeatOfFormation") / 1000.0,
                "gf": (num(c, "GibbsEnergyOfFormation") / 1000.0) if num(c, "GibbsEnergyOfFormation") is not None else None,
                "cpig": corr(c, "IdealGasHeatCapacityCp", 1e-3),
                "psat": vp,
                "rhol": corr(c, "LiquidDensity", 1e3),
                "hvap": corr(c, "HeatOfVaporization", 1e-3),
                # Transport properties and surface tension are per-molecule quantities in SI already (Pa s, W/(m K),
                # N/m): scale 1.
                "mul": corr(c, "LiquidViscosity", 1.0),
                "muv": corr(c, "VaporViscosity", 1.0),
                "kl": corr(c, "LiquidThermalConductivity", 1.0),
                "kv": corr(c, "VaporThermalConductivity", 1.0),
                "sigma": corr(c, "SurfaceTension", 1.0),
                "uniquacR": num(c, "UniquacR"),
                "uniquacQ": num(c, "UniquacQ"),
            }
            for key in ("cpig", "psat", "rhol", "hvap", "mul", "muv", "kl", "kv", "sigma"):
                if rec[key] is not None and rec[key]["eq"] not in SUPPORTED:
                    notes.append(f"{name}: {key} eq {rec[key]['eq']} unsupported; dropped")
                    rec[key] = None
                elif rec[key] is not None and not (0 < rec[key]["tmin"] <= rec[key]["tmax"]):
                    # A range such as [0, Tc] cannot be checked against the fitted data; the engine needs 0 < Tmin <= Tmax.
                    notes.append(f"{name}: {key} range [{rec[key]['tmin']}, {rec[key]['tmax']}] K invalid; dropped")
                    rec[key] = None
            compounds.append(rec)

    kij = read_ipd("pr.ipd")
    srk_kij = read_ipd("srk.ipd")
    nrtl = read_activity_ipd("nrtl.ipd", 3)
    wilson = read_activity_ipd("wilson.ipd", 2)
    uniquac = read_activity_ipd("uniquac.ipd", 2)

    doc = {"attribution": ATTRIBUTION, "license": "Artistic License 2.0", "compoundCount": len(compounds),
           "compounds": compounds, "prKij": kij, "srkKij": srk_kij,
           "activityParameterUnits": "cal/mol", "nrtl": nrtl, "wilson": wilson, "uniquac": uniquac}
    with open(OUT, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, separators=(",", ":"), ensure_ascii=False)
        fh.write("\n")
    for n in notes:
        print("note:", n)
    print(f"wrote {len(compounds)} compounds, {len(kij)} PR and {len(srk_kij)} SRK kij pairs, "
          f"{len(nrtl)} NRTL, {len(wilson)} Wilson and {len(uniquac)} UNIQUAC pairs to {OUT}")


if __name__ == "__main__":
    main()
