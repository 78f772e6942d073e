namespace DeepSim.Engine.Thermo;

/// <summary>
/// Henry's-law constants of permanent and light gases in water, used by the γ–φ packages for those components when
/// water is in the mixture. Source: R. Sander, "Compilation of Henry's law constants (version 4.0) for water as
/// solvent", Atmos. Chem. Phys. 15 (2015) 4399–4981, its recommended values: the solubility kH° = c/p at 298.15 K in
/// mol/(m³ Pa) and its temperature dependence B = −d ln kH / d(1/T) in K, kH(T) = kH° exp(B(1/T − 1/298.15)).
/// On a mole-fraction basis (the engine's liquid fugacity fᵢ = xᵢ Hᵢ) Hᵢ = c_w / kH with c_w = 55 345 mol/m³, the molar
/// concentration of liquid water at 298.15 K (997.05 kg/m³ / 0.018015 kg/mol), held constant (the van 't Hoff form is
/// fitted for dilute solutions near ambient conditions, 273–373 K).
/// </summary>
internal static class HenryConstants
{
    /// <summary>Molar concentration of liquid water at 298.15 K, mol/m³.</summary>
    public const double WaterMolarConcentration = 55_345;

    private const double ReferenceTemperatureK = 298.15;

    /// <summary>(CAS, name, kH° in mol/(m³ Pa), B in K), Sander (2015).</summary>
    private static readonly (string Cas, string Name, double SolubilityMolPerM3Pa, double TemperatureDependenceK)[] Table =
    [
        ("1333-74-0", "hydrogen", 7.8e-6, 530),
        ("7440-59-7", "helium", 3.8e-6, 92),
        ("7727-37-9", "nitrogen", 6.4e-6, 1600),
        ("7782-44-7", "oxygen", 1.3e-5, 1500),
        ("7440-37-1", "argon", 1.4e-5, 1500),
        ("630-08-0", "carbon monoxide", 9.7e-6, 1300),
        ("124-38-9", "carbon dioxide", 3.3e-4, 2400),
        ("74-82-8", "methane", 1.4e-5, 1600),
        ("74-84-0", "ethane", 1.9e-5, 2400),
        ("7783-06-4", "hydrogen sulfide", 1.0e-3, 2100),
    ];

    /// <summary>The gas's constant in water, or null when none is bundled.</summary>
    public static HenryConstant? InWater(string? cas)
    {
        foreach (var row in Table)
        {
            if (row.Cas == cas)
            {
                return new HenryConstant(Math.Log(WaterMolarConcentration / row.SolubilityMolPerM3Pa), row.TemperatureDependenceK);
            }
        }

        return null;
    }

    /// <summary>CAS numbers of every bundled gas.</summary>
    public static IEnumerable<string> Gases => Table.Select(r => r.Cas);

    /// <param name="LnHAt298">ln H (Pa) on a mole-fraction basis at 298.15 K.</param>
    /// <param name="TemperatureDependenceK">B: ln H(T) = ln H(298.15) − B (1/T − 1/298.15).</param>
    public readonly record struct HenryConstant(double LnHAt298, double TemperatureDependenceK)
    {
        public double LnH(double temperatureK) => LnHAt298 - (TemperatureDependenceK * ((1 / temperatureK) - (1 / ReferenceTemperatureK)));

        /// <summary>R T² d ln H/dT = R·B: what the gas gives out on dissolving (the negative of its enthalpy of solution), J/mol.</summary>
        public double DissolutionEnthalpyRelease => FlashSettings.GasConstant * TemperatureDependenceK;
    }
}
