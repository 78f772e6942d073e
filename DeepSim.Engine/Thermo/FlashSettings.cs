namespace DeepSim.Engine.Thermo;

/// <summary>Tolerances and iteration limits of every flash loop (documented in DeepSim.Engine/Thermo/README.md).</summary>
public static class FlashSettings
{
    /// <summary>Gas constant, J/(mol K) (CODATA 2018, exact).</summary>
    public const double GasConstant = 8.31446261815324;

    /// <summary>Reference state: ideal gas at 298.15 K and 101325 Pa; H = ΔHf°(ig), S = 0 for each pure ideal gas.</summary>
    public const double ReferenceTemperatureK = 298.15;

    public const double ReferencePressurePa = 101325.0;

    /// <summary>|Σz − 1| allowed on input (z is then renormalised); larger deviations are rejected.</summary>
    public const double CompositionSumTolerance = 1e-6;

    /// <summary>Successive substitution on ln K stops when max |Δ ln K| is below this; it equals max |ln f_L − ln f_V| at exit.</summary>
    public const double FugacityTolerance = 1e-11;

    /// <summary>Stability test stops when max |Δ ln W| is below this (TPD is then accurate far below the 1e-8 decision threshold).</summary>
    public const double StabilityTolerance = 1e-10;

    /// <summary>A tangent-plane distance below −this marks the feed unstable; above it the feed is stable.</summary>
    public const double StabilityThreshold = 1e-8;

    /// <summary>A trial phase closer than this (Σ (wᵢ − zᵢ)²) to the feed is the trivial solution.</summary>
    public const double TrivialSolutionTolerance = 1e-10;

    /// <summary>Iteration caps (each loop is bounded; hitting one is a reported failure).</summary>
    public const int MaxSuccessiveSubstitutions = 2000;

    public const int MaxStabilityIterations = 2000;

    public const int MaxOuterIterations = 200;

    public const int MaxBracketSteps = 80;

    /// <summary>Temperature tolerance of the PH/PS/PVF outer solves, K.</summary>
    public const double TemperatureTolerance = 1e-9;

    /// <summary>Relative tolerance on H (J/mol) or S (J/mol/K) residuals in PH/PS, with an absolute floor.</summary>
    public const double PropertyRelativeTolerance = 1e-12;

    public const double PropertyAbsoluteTolerance = 1e-8;

    /// <summary>Search range for temperatures in PH/PS/PVF, K.</summary>
    public const double MinSearchTemperatureK = 10.0;

    public const double MaxSearchTemperatureK = 6000.0;

    /// <summary>Search range for pressures in TVF, Pa.</summary>
    public const double MinSearchPressurePa = 1e-3;

    public const double MaxSearchPressurePa = 1e10;
}
