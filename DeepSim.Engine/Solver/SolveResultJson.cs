using System.Text.Json;
using DeepSim.Engine.Streams;

namespace DeepSim.Engine.Solver;

/// <summary>
/// Writes a solve result as JSON with full double precision (shortest round-trip form); non-finite numbers are
/// written as null. Field names carry their SI unit.
/// </summary>
public static class SolveResultJson
{
    public static void Write(SolveResult result, Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(w);
        var f = result.Flowsheet;
        var names = f.Components.Select(c => c.Name).ToArray();
        w.WriteStartObject();
        w.WriteString("flowsheet", f.Name);
        w.WriteBoolean("converged", result.Converged);
        if (result.FailureReason is null)
        {
            w.WriteNull("failureReason");
        }
        else
        {
            w.WriteString("failureReason", result.FailureReason);
        }
        WriteWarnings(w, result.Warnings);
        w.WriteString("propertyPackage", f.Package.Name);
        DeepSim.Engine.Thermo.PropertyPackageReport.Write(w, f.Package, names);
        w.WriteStartArray("components");
        foreach (var n in names)
        {
            w.WriteStringValue(n);
        }
        w.WriteEndArray();
        Number(w, "overallMassBalanceRelative", result.OverallMassBalanceRelative);
        WriteBalance(w, result.Balance);
        w.WriteNumber("iterations", result.Iterations);
        w.WriteNumber("flowsheetSolves", result.FlowsheetSolves);
        Number(w, "solveTimeSeconds", result.SolveTimeSeconds);

        w.WriteStartArray("streams");
        for (var s = 0; s < f.Streams.Count; s++)
        {
            var c = f.Streams[s];
            w.WriteStartObject();
            w.WriteString("id", c.Id);
            w.WriteString("from", $"{f.Units[c.FromUnit].Id}.{c.FromPort}");
            w.WriteString("to", $"{f.Units[c.ToUnit].Id}.{c.ToPort}");
            var st = result.Streams[s];
            if (st is not null)
            {
                WriteStream(w, st, names, f.Package);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("units");
        for (var u = 0; u < f.Units.Count; u++)
        {
            var unit = f.Units[u];
            var r = result.Units[u];
            w.WriteStartObject();
            w.WriteString("id", unit.Id);
            w.WriteString("type", unit.Type);
            if (r is not null)
            {
                w.WriteBoolean("succeeded", r.Succeeded);
                if (r.FailureReason is not null)
                {
                    w.WriteString("failureReason", r.FailureReason);
                }
                Number(w, "dutyW", r.DutyW);
                Number(w, "powerW", r.PowerW);
                Number(w, "massBalanceRelative", r.MassBalanceRelative);
                Number(w, "energyBalanceRelative", r.EnergyBalanceRelative);
                w.WriteStartObject("details");
                foreach (var (k, v) in r.Details.OrderBy(d => d.Key, StringComparer.Ordinal))
                {
                    Number(w, k, v);
                }
                w.WriteEndObject();
                if (r.Notes.Count > 0)
                {
                    w.WriteStartArray("notes");
                    foreach (var note in r.Notes)
                    {
                        w.WriteStringValue(note);
                    }
                    w.WriteEndArray();
                }
            }
            w.WriteStartObject("parameters");
            foreach (var (k, v) in result.Parameters[u].OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                Number(w, k, v);
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartObject("convergence");
        w.WriteStartArray("blocks");
        foreach (var b in result.Blocks.Where(b => b.TearStreams.Count > 0))
        {
            w.WriteStartObject();
            w.WriteStartArray("units");
            foreach (var u in b.Units)
            {
                w.WriteStringValue(u);
            }
            w.WriteEndArray();
            w.WriteStartArray("tearStreams");
            foreach (var t in b.TearStreams)
            {
                w.WriteStringValue(t);
            }
            w.WriteEndArray();
            w.WriteBoolean("converged", b.Converged);
            w.WriteNumber("iterations", b.Iterations);
            w.WriteString("method", b.Method);
            w.WriteStartArray("notes");
            foreach (var note in b.Notes)
            {
                w.WriteStringValue(note);
            }
            w.WriteEndArray();
            w.WriteStartArray("history");
            foreach (var h in b.History)
            {
                w.WriteStartObject();
                w.WriteNumber("iteration", h.Iteration);
                w.WriteString("method", h.Method);
                w.WriteStartObject("largestRelativeResidual");
                for (var t = 0; t < b.TearStreams.Count; t++)
                {
                    Number(w, b.TearStreams[t], h.TearResiduals[t]);
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("designSpecs");
        foreach (var d in result.DesignSpecs)
        {
            w.WriteStartObject();
            w.WriteString("id", d.Id);
            w.WriteBoolean("converged", d.Converged);
            w.WriteNumber("evaluations", d.Iterations);
            Number(w, "variedValue", d.VariedValue);
            Number(w, "achievedValue", d.AchievedValue);
            Number(w, "targetValue", d.TargetValue);
            if (d.FailureReason is not null)
            {
                w.WriteString("failureReason", d.FailureReason);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    // "warnings": [{ "code", "unit", "stream", "message" }], unit and stream null when the warning is not about one.
    private static void WriteWarnings(Utf8JsonWriter w, IReadOnlyList<ModelWarning> warnings)
    {
        w.WriteStartArray("warnings");
        foreach (var warning in warnings)
        {
            w.WriteStartObject();
            w.WriteString("code", warning.Code);
            w.WriteString("unit", warning.UnitId);
            w.WriteString("stream", warning.StreamId);
            w.WriteString("message", warning.Message);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteBalance(Utf8JsonWriter w, SolveBalance balance)
    {
        w.WriteStartObject("balance");
        Number(w, "componentTolerance", SolveBalance.ComponentTolerance);
        Number(w, "energyTolerance", SolveBalance.EnergyTolerance);
        w.WriteStartArray("components");
        foreach (var c in balance.Components)
        {
            w.WriteStartObject();
            w.WriteString("component", c.Component);
            Number(w, "inMolPerS", c.InMolPerS);
            Number(w, "generatedMolPerS", c.GeneratedMolPerS);
            Number(w, "outMolPerS", c.OutMolPerS);
            Number(w, "relative", c.Relative);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("energy");
        Number(w, "inW", balance.EnergyInW);
        Number(w, "dutyAndWorkW", balance.DutyAndWorkW);
        Number(w, "outW", balance.EnergyOutW);
        Number(w, "relative", balance.EnergyRelative);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteStream(Utf8JsonWriter w, MaterialStream st, string[] names, DeepSim.Engine.Thermo.IPropertyPackage package)
    {
        Number(w, "temperatureK", st.TemperatureK);
        Number(w, "pressurePa", st.PressurePa);
        Number(w, "vaporFraction", st.VaporFraction);
        w.WriteString("phase", st.IsEmpty ? "empty" : st.State.ToString().ToLowerInvariant());
        Number(w, "molarFlowMolPerS", st.TotalMolarFlow);
        Number(w, "massFlowKgPerS", st.MassFlow);
        Number(w, "molarEnthalpyJPerMol", st.MolarEnthalpy);
        Number(w, "molarEntropyJPerMolK", st.MolarEntropy);
        Number(w, "molarMassKgPerMol", st.MolarMass);
        w.WriteStartObject("moleFractions");
        for (var i = 0; i < names.Length; i++)
        {
            Number(w, names[i], st.MoleFractions[i]);
        }
        w.WriteEndObject();
        w.WriteStartObject("componentMolarFlowsMolPerS");
        for (var i = 0; i < names.Length; i++)
        {
            Number(w, names[i], st.ComponentMolarFlows[i]);
        }
        w.WriteEndObject();
        WriteProperties(w, StreamProperties.Compute(package, st), names);
    }

    // "properties" (overall) and "phases" (one object per present phase); null and [] for an empty or invalid stream.
    private static void WriteProperties(Utf8JsonWriter w, StreamProperties? p, string[] names)
    {
        if (p is null)
        {
            w.WriteNull("properties");
            w.WriteStartArray("phases");
            w.WriteEndArray();
            return;
        }

        w.WriteStartObject("properties");
        Number(w, "massDensityKgPerM3", p.MassDensityKgPerM3);
        Number(w, "molarVolumeM3PerMol", p.MolarVolumeM3PerMol);
        Number(w, "actualVolumetricFlowM3PerS", p.ActualVolumetricFlowM3PerS);
        Number(w, "standardVolumetricFlowM3PerS", p.StandardVolumetricFlowM3PerS);
        Number(w, "standardTemperatureK", StreamProperties.StandardTemperatureK);
        Number(w, "standardPressurePa", StreamProperties.StandardPressurePa);
        Number(w, "heatCapacityCpJPerMolK", p.CpJPerMolK);
        Fractions(w, "massFractions", names, p.MassFractions);
        Strings(w, "outOfRange", p.OutOfRange);
        w.WriteEndObject();

        w.WriteStartArray("phases");
        foreach (var phase in p.Phases)
        {
            var q = phase.Properties;
            w.WriteStartObject();
            w.WriteString("label", phase.Label);
            w.WriteString("phase", phase.Kind == DeepSim.Engine.Thermo.Phase.Vapor ? "vapor" : "liquid");
            Number(w, "moleFractionOfStream", phase.MoleFractionOfStream);
            Fractions(w, "moleFractions", names, phase.MoleFractions);
            Fractions(w, "massFractions", names, q.MassFractions);
            Number(w, "molarMassKgPerMol", q.MolarMassKgPerMol);
            Number(w, "compressibilityFactor", q.CompressibilityFactor);
            Number(w, "molarVolumeM3PerMol", q.MolarVolumeM3PerMol);
            Number(w, "molarDensityMolPerM3", q.MolarDensityMolPerM3);
            Number(w, "massDensityKgPerM3", q.MassDensityKgPerM3);
            Number(w, "heatCapacityCpJPerMolK", q.CpJPerMolK);
            Number(w, "heatCapacityCvJPerMolK", q.CvJPerMolK);
            Number(w, "residualEnthalpyJPerMol", q.ResidualEnthalpyJPerMol);
            Number(w, "residualEntropyJPerMolK", q.ResidualEntropyJPerMolK);
            Fractions(w, "lnFugacityCoefficients", names, q.LnFugacityCoefficients);
            Number(w, "viscosityPaS", q.ViscosityPaS);
            Number(w, "thermalConductivityWPerMK", q.ThermalConductivityWPerMK);
            Number(w, "surfaceTensionNPerM", q.SurfaceTensionNPerM);
            Strings(w, "outOfRange", q.OutOfRange);
            Strings(w, "missingData", q.MissingData);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void Fractions(Utf8JsonWriter w, string name, string[] names, IReadOnlyList<double> values)
    {
        w.WriteStartObject(name);
        for (var i = 0; i < names.Length; i++)
        {
            Number(w, names[i], values[i]);
        }

        w.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    private static void Number(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v))
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
