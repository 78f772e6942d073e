using DeepSim.Engine.Components;

namespace DeepSim.Engine.Thermo;

/// <summary>Creates property packages by name.</summary>
public static class PropertyPackages
{
    /// <summary>The package names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["ideal", "peng-robinson"];

    /// <summary>
    /// Creates "ideal" or "peng-robinson" (case-insensitive) over the components. PR kᵢⱼ default to the ChemSep/DECHEMA
    /// value for the CAS pair (<see cref="ComponentDatabase.BinaryInteractionPR"/>), else 0; each override (by component
    /// index, either order) replaces the pair symmetrically. Throws ArgumentException for an unknown name or bad data.
    /// </summary>
    public static IPropertyPackage Create(string name, IReadOnlyList<Component> components, IReadOnlyDictionary<(int I, int J), double>? kijOverrides = null)
    {
        ArgumentNullException.ThrowIfNull(components);
        var key = (name ?? "").Trim().ToLowerInvariant();
        switch (key)
        {
            case "ideal":
                if (kijOverrides is { Count: > 0 })
                {
                    throw new ArgumentException("Binary interaction parameters apply to peng-robinson only, not to the ideal package.", nameof(kijOverrides));
                }

                return new IdealPackage(components);
            case "peng-robinson":
            case "pengrobinson":
            case "pr":
                return new PengRobinsonPackage(components, BuildKij(components, kijOverrides));
            default:
                throw new ArgumentException($"Unknown property package '{name}'. Known packages: {string.Join(", ", Names)}.", nameof(name));
        }
    }

    private static double[,] BuildKij(IReadOnlyList<Component> components, IReadOnlyDictionary<(int I, int J), double>? overrides)
    {
        var n = components.Count;
        var kij = new double[n, n];
        var db = ComponentDatabase.Default;
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                var k = db.BinaryInteractionPR(components[i]?.Cas ?? "", components[j]?.Cas ?? "") ?? 0;
                kij[i, j] = k;
                kij[j, i] = k;
            }
        }

        if (overrides is null)
        {
            return kij;
        }

        foreach (var ((i, j), value) in overrides)
        {
            if (i < 0 || j < 0 || i >= n || j >= n || i == j)
            {
                throw new ArgumentException($"kij override ({i}, {j}) does not name two different components of the {n} given.", nameof(overrides));
            }

            if (!double.IsFinite(value) || Math.Abs(value) >= 1)
            {
                throw new ArgumentException($"kij override ({i}, {j}) = {value} must be a finite number with |kij| < 1.", nameof(overrides));
            }

            kij[i, j] = value;
            kij[j, i] = value;
        }

        return kij;
    }
}
