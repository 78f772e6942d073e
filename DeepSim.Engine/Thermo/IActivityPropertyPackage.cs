namespace DeepSim.Engine.Thermo;

/// <summary>The liquid activity-coefficient model of a γ–φ package.</summary>
public enum ActivityModel
{
    /// <summary>Renon and Prausnitz (1968); τᵢⱼ = Aᵢⱼ/(RT), Gᵢⱼ = exp(−αᵢⱼτᵢⱼ).</summary>
    Nrtl,

    /// <summary>Wilson (1964); Λᵢⱼ = (Vⱼ/Vᵢ) exp(−Aᵢⱼ/(RT)).</summary>
    Wilson,

    /// <summary>Abrams and Prausnitz (1975); τᵢⱼ = exp(−Aᵢⱼ/(RT)), coordination number 10.</summary>
    Uniquac,

    /// <summary>
    /// Original UNIFAC (Fredenslund, Jones and Prausnitz 1975) with the parameters of Hansen et al. (1991): group
    /// contribution, no binary parameters; Ψₘₙ = exp(−aₘₙ/T).
    /// </summary>
    Unifac,
}

/// <summary>Where a pair's activity-model parameters came from.</summary>
public enum ActivityParameterSource
{
    /// <summary>ChemSep's DECHEMA table (nrtl.ipd, wilson.ipd, uniquac.ipd) for the CAS pair.</summary>
    ChemSep,

    /// <summary>The table has no fit for the pair: the pair's interaction is ideal (see the package documentation).</summary>
    Missing,

    /// <summary>Given by the caller (tests and programmatic use).</summary>
    User,

    /// <summary>Not in the table, and not needed: one of the pair is a gas dissolved by Henry's law (γ* = 1).</summary>
    Henry,

    /// <summary>
    /// Not in the table but estimated from UNIFAC: the model's two energy parameters (temperature-independent, NRTL with
    /// α = 0.3) reproduce UNIFAC's two infinite-dilution activity coefficients at 298.15 K.
    /// </summary>
    Unifac,
}

/// <summary>
/// Energy parameters of one pair (I &lt; J) in cal/mol as DECHEMA tabulates them: A12 is Aᵢⱼ, A21 is Aⱼᵢ; Alpha12 is
/// NRTL's non-randomness (NaN for Wilson and UNIQUAC).
/// </summary>
public readonly record struct ActivityParameter(int I, int J, double A12, double A21, double Alpha12, ActivityParameterSource Source)
{
    public string SourceName => Source switch
    {
        ActivityParameterSource.ChemSep => "chemsep",
        ActivityParameterSource.User => "user",
        ActivityParameterSource.Henry => "henry",
        ActivityParameterSource.Unifac => "unifac",
        _ => "missing",
    };
}

/// <summary>A γ–φ package: activity-coefficient liquid, ideal-gas vapour (implemented by nrtl, wilson, uniquac, unifac).</summary>
public interface IActivityPropertyPackage : IPropertyPackage
{
    ActivityModel Model { get; }

    /// <summary>Every component pair with its parameters and their source.</summary>
    IReadOnlyList<ActivityParameter> Parameters { get; }

    /// <summary>Human-readable model-sanity warnings (pairs without parameters, treated as ideal; pairs estimated from UNIFAC).</summary>
    IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// Components dissolved in the liquid by Henry's law (fᵢ = xᵢHᵢ with the bundled constants in water, γ* = 1): the
    /// gases of <c>HenryConstants</c> whenever water is a component; empty otherwise.
    /// </summary>
    IReadOnlyList<string> HenryComponents { get; }

    /// <summary>ln γᵢ of a liquid of composition x at T (x must have one entry per component and sum to 1).</summary>
    void LnActivityCoefficients(double temperatureK, ReadOnlySpan<double> moleFractions, Span<double> lnGamma);

    /// <summary>Molar excess enthalpy H^E = −RT² ∂(Σ xᵢ ln γᵢ)/∂T of a liquid, J/mol.</summary>
    double ExcessEnthalpy(double temperatureK, ReadOnlySpan<double> moleFractions);
}
