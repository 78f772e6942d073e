using DeepSim.Engine.Components;

namespace DeepSim.Engine.Thermo;

/// <summary>
/// Properties of one phase of given composition at T and P, in SI on a mole basis (see README "Properties" for the
/// methods and their sources). Non-finite values (NaN) mean "not available": no data for a component present, or no
/// physical root. <see cref="OutOfRange"/> lists the correlations evaluated outside their fitted range (held at the
/// range end); <see cref="MissingData"/> the data that were absent. Computed on demand (result writing, tools),
/// never inside a flash: it allocates.
/// </summary>
public sealed record PhaseProperties
{
    // Relative temperature step of the central difference dH/dT for packages without an analytic Cp: truncation
    // (h² H'''/6) and rounding (ε|H|/h, |H| up to ~1e6 J/mol) both stay below 1e-6 J/(mol K).
    private const double HeatCapacityRelativeStep = 1e-4;

    public required Phase Phase { get; init; }

    public required double TemperatureK { get; init; }

    public required double PressurePa { get; init; }

    /// <summary>The phase's mole fractions (normalised).</summary>
    public required IReadOnlyList<double> MoleFractions { get; init; }

    public required IReadOnlyList<double> MassFractions { get; init; }

    public required double MolarMassKgPerMol { get; init; }

    /// <summary>Z = P V / (R T) with the reported <see cref="MolarVolumeM3PerMol"/>.</summary>
    public required double CompressibilityFactor { get; init; }

    public required double MolarVolumeM3PerMol { get; init; }

    public required double MolarDensityMolPerM3 { get; init; }

    public required double MassDensityKgPerM3 { get; init; }

    public required double CpJPerMolK { get; init; }

    public required double CvJPerMolK { get; init; }

    /// <summary>H − H_ig(T) of the same composition, J/mol.</summary>
    public required double ResidualEnthalpyJPerMol { get; init; }

    /// <summary>S − S_ig(T, P) of the same composition, J/(mol K).</summary>
    public required double ResidualEntropyJPerMolK { get; init; }

    /// <summary>ln φᵢ as the package's <see cref="IFugacityModel"/> gives it (Raoult liquid: ln(Psatᵢ/P)).</summary>
    public required IReadOnlyList<double> LnFugacityCoefficients { get; init; }

    /// <summary>Dynamic viscosity, Pa·s.</summary>
    public required double ViscosityPaS { get; init; }

    public required double ThermalConductivityWPerMK { get; init; }

    /// <summary>Liquid surface tension, N/m (NaN for a vapour or where a component present has no data).</summary>
    public required double SurfaceTensionNPerM { get; init; }

    /// <summary>One entry per correlation evaluated outside its fitted range, e.g. "liquid viscosity of Methane: 300 K outside 88.15–190 K".</summary>
    public required IReadOnlyList<string> OutOfRange { get; init; }

    /// <summary>One entry per property that could not be computed for want of data, e.g. "no liquid viscosity for X".</summary>
    public required IReadOnlyList<string> MissingData { get; init; }

    /// <summary>
    /// Computes the properties of one phase. The liquid of a cubic is its smallest root, the vapour its largest; the
    /// ideal and γ–φ packages have an ideal-gas vapour and an Amagat liquid. Throws ArgumentException for invalid
    /// T, P or composition (as <see cref="IPropertyPackage.Enthalpy"/> does).
    /// </summary>
    public static PhaseProperties Compute(IPropertyPackage package, Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> x)
    {
        ArgumentNullException.ThrowIfNull(package);
        var components = package.Components;
        var n = components.Count;
        var h = package.Enthalpy(phase, temperatureK, pressurePa, x); // validates T, P and x
        var s = package.Entropy(phase, temperatureK, pressurePa, x);
        var z = new double[n];
        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            sum += x[i];
        }

        for (var i = 0; i < n; i++)
        {
            z[i] = x[i] / sum;
        }

        var outOfRange = new List<string>();
        var missing = new List<string>();
        var molarMass = package.MolarMass(z);
        var massFractions = MassFractionsOf(components, z);

        var rt = FlashSettings.GasConstant * temperatureK;
        double volume, cp, cv;
        if (package is CubicPackage cubic)
        {
            volume = cubic.MolarVolume(phase, temperatureK, pressurePa, z);
            cubic.HeatCapacities(phase, temperatureK, pressurePa, z, out cp, out cv);
        }
        else if (phase == Phase.Vapor)
        {
            volume = rt / pressurePa;
            cp = IdealGasCp(package, temperatureK, pressurePa, z);
            cv = cp - FlashSettings.GasConstant;
        }
        else
        {
            volume = AmagatLiquidVolume(components, temperatureK, z, outOfRange, missing);
            var step = HeatCapacityRelativeStep * temperatureK;
            cp = (package.Enthalpy(phase, temperatureK + step, pressurePa, z) - package.Enthalpy(phase, temperatureK - step, pressurePa, z)) / (2 * step);
            cv = cp; // incompressible liquid model: Cp − Cv = T V α²/κ is not represented (README)
        }

        double hRes = double.NaN, sRes = double.NaN;
        if (package is PropertyPackageBase basePackage)
        {
            basePackage.IdealGasMixture(temperatureK, pressurePa, z, out var hIg, out var sIg, out _);
            hRes = h - hIg;
            sRes = s - sIg;
        }

        var lnPhi = new double[n];
        if (package is IFugacityModel fugacity)
        {
            fugacity.LnFugacityCoefficients(phase, temperatureK, pressurePa, z, lnPhi);
        }
        else
        {
            Array.Fill(lnPhi, double.NaN);
        }

        double viscosity, conductivity, surfaceTension;
        if (phase == Phase.Liquid)
        {
            viscosity = TransportProperties.LiquidViscosity(components, temperatureK, z, outOfRange, missing);
            conductivity = TransportProperties.LiquidThermalConductivity(components, temperatureK, massFractions, outOfRange, missing);
            surfaceTension = TransportProperties.SurfaceTension(components, temperatureK, z, outOfRange, missing);
        }
        else
        {
            viscosity = TransportProperties.GasViscosity(components, temperatureK, volume, z, outOfRange, missing);
            conductivity = TransportProperties.GasThermalConductivity(components, temperatureK, volume, z, outOfRange, missing);
            surfaceTension = double.NaN;
        }

        return new PhaseProperties
        {
            Phase = phase,
            TemperatureK = temperatureK,
            PressurePa = pressurePa,
            MoleFractions = z,
            MassFractions = massFractions,
            MolarMassKgPerMol = molarMass,
            CompressibilityFactor = pressurePa * volume / rt,
            MolarVolumeM3PerMol = volume,
            MolarDensityMolPerM3 = 1 / volume,
            MassDensityKgPerM3 = molarMass / volume,
            CpJPerMolK = cp,
            CvJPerMolK = cv,
            ResidualEnthalpyJPerMol = hRes,
            ResidualEntropyJPerMolK = sRes,
            LnFugacityCoefficients = lnPhi,
            ViscosityPaS = viscosity,
            ThermalConductivityWPerMK = conductivity,
            SurfaceTensionNPerM = surfaceTension,
            OutOfRange = outOfRange,
            MissingData = missing,
        };
    }

    private static double IdealGasCp(IPropertyPackage package, double temperatureK, double pressurePa, double[] z)
    {
        if (package is PropertyPackageBase basePackage)
        {
            basePackage.IdealGasMixture(temperatureK, pressurePa, z, out _, out _, out var cp);
            return cp;
        }

        var step = HeatCapacityRelativeStep * temperatureK;
        return (package.Enthalpy(Phase.Vapor, temperatureK + step, pressurePa, z) - package.Enthalpy(Phase.Vapor, temperatureK - step, pressurePa, z)) / (2 * step);
    }

    // Amagat (ideal mixing of volumes): V = Σ xᵢ/ρᵢ(T), ρᵢ from the DIPPR liquid-density correlation held at its range ends.
    private static double AmagatLiquidVolume(IReadOnlyList<Component> components, double temperatureK, double[] z, List<string> outOfRange, List<string> missing)
    {
        double v = 0;
        for (var i = 0; i < z.Length; i++)
        {
            if (z[i] <= 0)
            {
                continue;
            }

            var density = TransportProperties.Evaluate(components[i].LiquidDensity, components[i].Name, "liquid density", temperatureK, outOfRange, missing);
            v += z[i] / density;
        }

        return v;
    }

    /// <summary>wᵢ = xᵢMᵢ / Σ xⱼMⱼ with the components' molar masses (normalised by that sum, so they add to 1 whichever molar
    /// mass a package reports: IAPWS-IF97 uses its own 18.015268 g/mol).</summary>
    internal static double[] MassFractionsOf(IReadOnlyList<Components.Component> components, ReadOnlySpan<double> x)
    {
        var w = new double[x.Length];
        double total = 0;
        for (var i = 0; i < x.Length; i++)
        {
            w[i] = x[i] * components[i].MolarMass;
            total += w[i];
        }

        for (var i = 0; i < x.Length && total > 0; i++)
        {
            w[i] /= total;
        }

        return w;
    }
}
