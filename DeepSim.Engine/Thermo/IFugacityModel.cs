namespace DeepSim.Engine.Thermo;

/// <summary>Fugacity coefficients of a phase, exposed for diagnostics and tests (implemented by every built-in package).</summary>
public interface IFugacityModel
{
    /// <summary>ln φᵢ of each component in a phase of composition x (liquid = smallest EOS root, vapour = largest; Raoult: ln(Psat/P) and 0).</summary>
    void LnFugacityCoefficients(Phase phase, double temperatureK, double pressurePa, ReadOnlySpan<double> moleFractions, Span<double> lnPhi);
}
