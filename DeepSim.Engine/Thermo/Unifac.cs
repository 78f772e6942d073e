using System.Text.Json;
using DeepSim.Engine.Components;

namespace DeepSim.Engine.Thermo;

/// <summary>One original-UNIFAC subgroup: standard (DDBST) number, name, main group, volume R and area Q.</summary>
public readonly record struct UnifacSubgroup(int Id, string Name, int MainGroup, double R, double Q);

/// <summary>A component's UNIFAC group assignment: subgroup and how many times it occurs.</summary>
public readonly record struct UnifacGroupCount(UnifacSubgroup Subgroup, int Count);

/// <summary>
/// The embedded original-UNIFAC tables (Data/unifac-groups.json, Data/unifac-parameters.json, written by
/// tools/ChemSepConvert/unifac.py): ChemSep's group assignment per CAS number, R and Q per subgroup and the main-group
/// interaction parameters aₘₙ in K of Hansen et al., Ind. Eng. Chem. Res. 30 (1991) 2352 with the UNIFAC consortium's
/// revisions. Immutable and thread-safe.
/// </summary>
public static class UnifacTables
{
    private const string GroupsResource = "DeepSim.Engine.Data.unifac-groups.json";
    private const string ParametersResource = "DeepSim.Engine.Data.unifac-parameters.json";

    private static readonly Lazy<Data> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The component's group assignment (by CAS number), or null when ChemSep gives none the tables cover.</summary>
    public static IReadOnlyList<UnifacGroupCount>? Groups(Component component)
    {
        ArgumentNullException.ThrowIfNull(component);
        return component.Cas.Length > 0 && Loaded.Value.Groups.TryGetValue(component.Cas, out var g) ? g : null;
    }

    /// <summary>aₘₙ in K for main groups m, n (0 for m = n); false when the pair has no published value.</summary>
    public static bool TryInteraction(int mainGroupM, int mainGroupN, out double aMnKelvin)
    {
        if (mainGroupM == mainGroupN)
        {
            aMnKelvin = 0;
            return true;
        }

        return Loaded.Value.Interactions.TryGetValue((mainGroupM, mainGroupN), out aMnKelvin);
    }

    private sealed record Data(Dictionary<string, UnifacGroupCount[]> Groups, Dictionary<(int, int), double> Interactions);

    private static JsonDocument Open(string resource)
    {
        using var stream = typeof(UnifacTables).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded resource {resource} is missing.");
        return JsonDocument.Parse(stream);
    }

    private static Data Load()
    {
        var subgroups = new Dictionary<int, UnifacSubgroup>();
        var interactions = new Dictionary<(int, int), double>();
        using (var doc = Open(ParametersResource))
        {
            foreach (var row in doc.RootElement.GetProperty("subgroups").EnumerateArray())
            {
                var s = new UnifacSubgroup(row[0].GetInt32(), row[1].GetString() ?? "", row[2].GetInt32(), row[3].GetDouble(), row[4].GetDouble());
                subgroups[s.Id] = s;
            }

            foreach (var row in doc.RootElement.GetProperty("interactions").EnumerateArray())
            {
                int m = row[0].GetInt32(), nGroup = row[1].GetInt32();
                interactions[(m, nGroup)] = row[2].GetDouble();
                interactions[(nGroup, m)] = row[3].GetDouble();
            }
        }

        var groups = new Dictionary<string, UnifacGroupCount[]>(StringComparer.OrdinalIgnoreCase);
        using (var doc = Open(GroupsResource))
        {
            foreach (var c in doc.RootElement.GetProperty("groups").EnumerateObject())
            {
                var list = new List<UnifacGroupCount>();
                foreach (var g in c.Value.EnumerateObject())
                {
                    list.Add(new UnifacGroupCount(subgroups[int.Parse(g.Name, System.Globalization.CultureInfo.InvariantCulture)], g.Value.GetInt32()));
                }

                groups[c.Name] = [.. list];
            }
        }

        return new Data(groups, interactions);
    }
}

/// <summary>
/// Original UNIFAC (Fredenslund, Jones and Prausnitz 1975) over a fixed set of components: ln γᵢ = ln γᵢᶜ + ln γᵢᴿ with the
/// UNIQUAC combinatorial part (z = 10, rᵢ = Σₖ νₖᵢRₖ, qᵢ = Σₖ νₖᵢQₖ) and the residual part
/// Σₖ νₖᵢ(ln Γₖ − ln Γₖ⁽ⁱ⁾), ln Γₖ = Qₖ[1 − ln Σₘ ΘₘΨₘₖ − Σₘ ΘₘΨₖₘ/Σₙ ΘₙΨₙₘ], Ψₘₙ = exp(−aₘₙ/T).
/// Temperature-dependent arrays (Ψ, the pure components' ln Γₖ⁽ⁱ⁾) are prepared by the caller into its own buffers, so
/// one instance serves every thread; evaluation allocates nothing.
/// </summary>
internal sealed class UnifacModel
{
    // UNIQUAC lattice coordination number, which UNIFAC's combinatorial part keeps.
    private const double CoordinationNumber = 10;

    private readonly int n;
    private readonly double[] nu; // νₖᵢ, n×g row-major (component i, group k)
    private readonly double[] groupQ; // Qₖ
    private readonly double[] groupA; // aₘₖ in K, g×g row-major
    private readonly double[] r, q, l;

    private UnifacModel(int n, int g, double[] nu, double[] groupQ, double[] groupA, double[] r, double[] q)
    {
        this.n = n;
        GroupCount = g;
        this.nu = nu;
        this.groupQ = groupQ;
        this.groupA = groupA;
        this.r = r;
        this.q = q;
        l = new double[n];
        for (var i = 0; i < n; i++)
        {
            l[i] = (CoordinationNumber / 2 * (r[i] - q[i])) - (r[i] - 1);
        }
    }

    /// <summary>Distinct subgroups over all components.</summary>
    public int GroupCount { get; }

    /// <summary>Size of the buffer <see cref="Prepare"/> fills: Ψ (g×g) then ln Γₖ⁽ⁱ⁾ (n×g).</summary>
    public int PreparedLength => (GroupCount * GroupCount) + (n * GroupCount);

    /// <summary>Scratch length <see cref="LnGamma"/> and <see cref="Prepare"/> need.</summary>
    public int ScratchLength => 4 * GroupCount;

    public double VolumeParameter(int i) => r[i];

    public double AreaParameter(int i) => q[i];

    /// <summary>The model for the components, or null with the reason (a component without groups, a pair of main groups without published aₘₙ).</summary>
    public static UnifacModel? TryCreate(IReadOnlyList<Component> components, out string? reason)
    {
        var n = components.Count;
        var assignments = new IReadOnlyList<UnifacGroupCount>[n];
        var subgroups = new List<UnifacSubgroup>();
        for (var i = 0; i < n; i++)
        {
            var a = UnifacTables.Groups(components[i]);
            if (a is null)
            {
                reason = $"Component '{components[i].Name}' has no original-UNIFAC group assignment (ChemSep gives none, or uses groups outside the published main groups 1-50), which the unifac package needs.";
                return null;
            }

            assignments[i] = a;
            foreach (var gc in a)
            {
                if (!subgroups.Contains(gc.Subgroup))
                {
                    subgroups.Add(gc.Subgroup);
                }
            }
        }

        var g = subgroups.Count;
        var groupA = new double[g * g];
        for (var m = 0; m < g; m++)
        {
            for (var k = 0; k < g; k++)
            {
                if (!UnifacTables.TryInteraction(subgroups[m].MainGroup, subgroups[k].MainGroup, out groupA[(m * g) + k]))
                {
                    reason = $"No published UNIFAC interaction parameter between main groups {subgroups[m].MainGroup} ({subgroups[m].Name}, in {Holder(components, assignments, subgroups[m])}) and {subgroups[k].MainGroup} ({subgroups[k].Name}, in {Holder(components, assignments, subgroups[k])}).";
                    return null;
                }
            }
        }

        var nu = new double[n * g];
        var r = new double[n];
        var q = new double[n];
        for (var i = 0; i < n; i++)
        {
            foreach (var gc in assignments[i])
            {
                nu[(i * g) + subgroups.IndexOf(gc.Subgroup)] += gc.Count;
                r[i] += gc.Count * gc.Subgroup.R;
                q[i] += gc.Count * gc.Subgroup.Q;
            }
        }

        var groupQ = new double[g];
        for (var k = 0; k < g; k++)
        {
            groupQ[k] = subgroups[k].Q;
        }

        reason = null;
        return new UnifacModel(n, g, nu, groupQ, groupA, r, q);
    }

    private static string Holder(IReadOnlyList<Component> components, IReadOnlyList<UnifacGroupCount>[] assignments, UnifacSubgroup s)
    {
        for (var i = 0; i < components.Count; i++)
        {
            foreach (var gc in assignments[i])
            {
                if (gc.Subgroup == s)
                {
                    return components[i].Name;
                }
            }
        }

        return "?";
    }

    /// <summary>Fills prepared with Ψₘₖ = exp(−aₘₖ/T) (g×g) followed by each pure component's ln Γₖ⁽ⁱ⁾ (n×g).</summary>
    public void Prepare(double temperatureK, Span<double> prepared, Span<double> scratch)
    {
        var g = GroupCount;
        var psi = prepared[..(g * g)];
        for (var k = 0; k < psi.Length; k++)
        {
            psi[k] = Math.Exp(-groupA[k] / temperatureK);
        }

        for (var i = 0; i < n; i++)
        {
            GroupLnGamma(nu.AsSpan(i * g, g), psi, scratch, prepared.Slice((g * g) + (i * g), g));
        }
    }

    /// <summary>ln γ of composition x (sums to 1; an absent component gets its γ at infinite dilution).</summary>
    public void LnGamma(ReadOnlySpan<double> x, ReadOnlySpan<double> prepared, Span<double> scratch, Span<double> lnGamma)
    {
        var g = GroupCount;
        var groupX = scratch[..g];
        var lnGammaGroup = scratch.Slice(g, g);
        groupX.Clear();
        for (var i = 0; i < n; i++)
        {
            var xi = x[i];
            if (xi == 0)
            {
                continue;
            }

            for (var k = 0; k < g; k++)
            {
                groupX[k] += xi * nu[(i * g) + k];
            }
        }

        GroupLnGamma(groupX, prepared[..(g * g)], scratch[(2 * g)..], lnGammaGroup);

        double sumR = 0, sumQ = 0, sumXL = 0;
        for (var i = 0; i < n; i++)
        {
            sumR += x[i] * r[i];
            sumQ += x[i] * q[i];
            sumXL += x[i] * l[i];
        }

        for (var i = 0; i < n; i++)
        {
            // Φᵢ/xᵢ and θᵢ/Φᵢ written without dividing by xᵢ, so an absent component still has a finite γ∞.
            var phiOverX = r[i] / sumR;
            var thetaOverPhi = q[i] / sumQ / phiOverX;
            var combinatorial = Math.Log(phiOverX) + (CoordinationNumber / 2 * q[i] * Math.Log(thetaOverPhi)) + l[i] - (phiOverX * sumXL);
            double residual = 0;
            var pure = prepared.Slice((g * g) + (i * g), g);
            for (var k = 0; k < g; k++)
            {
                var v = nu[(i * g) + k];
                if (v != 0)
                {
                    residual += v * (lnGammaGroup[k] - pure[k]);
                }
            }

            lnGamma[i] = combinatorial + residual;
        }
    }

    // ln Γₖ of a group mixture given by (unnormalised) group amounts; scratch needs 2g.
    private void GroupLnGamma(ReadOnlySpan<double> groupAmounts, ReadOnlySpan<double> psi, Span<double> scratch, Span<double> lnGammaGroup)
    {
        var g = GroupCount;
        var theta = scratch[..g];
        var s = scratch.Slice(g, g);
        double sumQX = 0;
        for (var k = 0; k < g; k++)
        {
            theta[k] = groupQ[k] * groupAmounts[k];
            sumQX += theta[k];
        }

        for (var k = 0; k < g; k++)
        {
            theta[k] /= sumQX;
        }

        // sₖ = Σₘ ΘₘΨₘₖ
        for (var k = 0; k < g; k++)
        {
            double sk = 0;
            for (var m = 0; m < g; m++)
            {
                sk += theta[m] * psi[(m * g) + k];
            }

            s[k] = sk;
        }

        for (var k = 0; k < g; k++)
        {
            double sum = 0;
            for (var m = 0; m < g; m++)
            {
                sum += theta[m] * psi[(k * g) + m] / s[m];
            }

            lnGammaGroup[k] = groupQ[k] * (1 - Math.Log(s[k]) - sum);
        }
    }
}
