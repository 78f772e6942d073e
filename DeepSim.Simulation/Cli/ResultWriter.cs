using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepSim.Engine.Solver;
using DeepSim.Engine.Streams;
using DeepSim.Engine.Thermo;

namespace DeepSim.Simulation.Cli;

/// <summary>Formats a solve result as a console table, JSON (full precision) or CSV.</summary>
internal static class ResultWriter
{
    private const int StreamsPerBlock = 5;
    private const int LabelWidth = 26;
    private const int ColumnWidth = 16;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void WriteJson(SolveResult result, TextWriter output)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            SolveResultJson.Write(result, writer);
        }
        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    public static void WriteTable(SolveResult result, TextWriter o)
    {
        var f = result.Flowsheet;
        o.WriteLine($"Flowsheet: {(f.Name.Length > 0 ? f.Name : "(unnamed)")}   package: {f.Package.Name}   {(result.Converged ? "CONVERGED" : "NOT CONVERGED")}");
        if (!result.Converged)
        {
            o.WriteLine($"Reason: {result.FailureReason}");
        }
        WriteWarnings(result, o);
        o.WriteLine();
        o.WriteLine("Streams");
        var names = f.Components.Select(c => c.Name).ToArray();
        for (var start = 0; start < f.Streams.Count; start += StreamsPerBlock)
        {
            var ids = Enumerable.Range(start, Math.Min(StreamsPerBlock, f.Streams.Count - start)).ToArray();
            void Row(string label, Func<int, string> cell)
            {
                var sb = new StringBuilder(label.PadRight(LabelWidth));
                foreach (var s in ids)
                {
                    // A cell wider than the column still gets a separating space.
                    sb.Append(' ').Append(cell(s).PadLeft(ColumnWidth - 1));
                }
                o.WriteLine(sb.ToString());
            }
            string Num(int s, Func<Engine.Streams.MaterialStream, double> get, string format) =>
                result.Streams[s] is { } st ? get(st).ToString(format, Inv) : "-";
            Row("Stream", s => f.Streams[s].Id);
            Row("From", s => $"{f.Units[f.Streams[s].FromUnit].Id}.{f.Streams[s].FromPort}");
            Row("To", s => $"{f.Units[f.Streams[s].ToUnit].Id}.{f.Streams[s].ToPort}");
            Row("Phase", s => result.Streams[s] is { } st ? (st.IsEmpty ? "empty" : st.State.ToString()) : "-");
            Row("Temperature [K]", s => Num(s, st => st.TemperatureK, "F3"));
            Row("Temperature [C]", s => Num(s, st => st.TemperatureK - 273.15, "F3"));
            Row("Pressure [kPa]", s => Num(s, st => st.PressurePa / 1e3, "F3"));
            Row("Vapour fraction", s => Num(s, st => st.VaporFraction, "F5"));
            Row("Molar flow [mol/s]", s => Num(s, st => st.TotalMolarFlow, "G6"));
            Row("Mass flow [kg/s]", s => Num(s, st => st.MassFlow, "G6"));
            Row("Enthalpy [kJ/mol]", s => Num(s, st => st.MolarEnthalpy / 1e3, "F4"));
            Row("Entropy [J/(mol K)]", s => Num(s, st => st.MolarEntropy, "F4"));
            for (var i = 0; i < names.Length; i++)
            {
                var c = i;
                Row($"  x {Truncate(names[c], LabelWidth - 4)}", s => Num(s, st => st.MoleFractions[c], "F6"));
            }
            o.WriteLine();
        }
        o.WriteLine("Units");
        o.WriteLine($"{"Unit",-14}{"Type",-20}{"Duty [kW]",14}{"Power [kW]",14}{"Mass bal.",12}{"Energy bal.",12}  Status / details");
        for (var u = 0; u < f.Units.Count; u++)
        {
            var unit = f.Units[u];
            var r = result.Units[u];
            if (r is null)
            {
                o.WriteLine($"{unit.Id,-14}{unit.Type,-20}{"-",14}{"-",14}{"-",12}{"-",12}  not calculated");
                continue;
            }
            var details = string.Join(", ", r.Details.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Key}={d.Value.ToString("G6", Inv)}"));
            var status = r.Succeeded ? (details.Length > 0 ? details : "ok") : $"FAILED: {r.FailureReason}";
            o.WriteLine($"{unit.Id,-14}{unit.Type,-20}{(r.DutyW / 1e3).ToString("F4", Inv),14}{(r.PowerW / 1e3).ToString("F4", Inv),14}{r.MassBalanceRelative.ToString("E1", Inv),12}{r.EnergyBalanceRelative.ToString("E1", Inv),12}  {status}");
        }
        o.WriteLine();
        WriteConvergenceReport(result, o);
    }

    /// <summary>"Warnings (n):" and one "  [code] message" line each; nothing when there are none.</summary>
    public static void WriteWarnings(SolveResult result, TextWriter o)
    {
        if (result.Warnings.Count == 0)
        {
            return;
        }
        o.WriteLine($"Warnings ({result.Warnings.Count}):");
        foreach (var w in result.Warnings)
        {
            o.WriteLine($"  [{w.Code}] {w.Message}");
        }
    }

    public static void WriteConvergenceReport(SolveResult result, TextWriter o)
    {
        o.WriteLine($"Solve: {result.Iterations} recycle iteration(s) over {result.FlowsheetSolves} flowsheet solve(s) in {result.SolveTimeSeconds.ToString("F3", Inv)} s");
        var balance = result.Balance;
        if (balance.IsComplete)
        {
            o.WriteLine($"Balance (tolerance {SolveBalance.ComponentTolerance.ToString("E0", Inv)} per component, {SolveBalance.EnergyTolerance.ToString("E0", Inv)} energy):");
            foreach (var c in balance.Components)
            {
                o.WriteLine($"  {c.Component,-20} in {c.InMolPerS.ToString("G8", Inv),14} mol/s  generated {c.GeneratedMolPerS.ToString("G8", Inv),14}  out {c.OutMolPerS.ToString("G8", Inv),14}  relative {c.Relative.ToString("E2", Inv)}");
            }
            o.WriteLine($"  {"energy",-20} in {(balance.EnergyInW / 1e3).ToString("G8", Inv),14} kW     duty+work {(balance.DutyAndWorkW / 1e3).ToString("G8", Inv),14}  out {(balance.EnergyOutW / 1e3).ToString("G8", Inv),14}  relative {balance.EnergyRelative.ToString("E2", Inv)}");
        }
        else
        {
            o.WriteLine("Balance: not computed (some stream was never calculated)");
        }
        foreach (var b in result.Blocks.Where(b => b.TearStreams.Count > 0))
        {
            o.WriteLine($"Recycle [{string.Join(", ", b.Units)}] torn at {string.Join(", ", b.TearStreams)}: {(b.Converged ? "converged" : "NOT converged")} in {b.Iterations} iteration(s) by {b.Method}");
            foreach (var note in b.Notes)
            {
                o.WriteLine($"  note: {note}");
            }
            foreach (var h in b.History)
            {
                o.WriteLine($"  iteration {h.Iteration,3} ({h.Method,-8}) largest relative residual: {string.Join(", ", b.TearStreams.Select((t, i) => $"{t}={h.TearResiduals[i].ToString("E3", Inv)}"))}");
            }
        }
        foreach (var d in result.DesignSpecs)
        {
            o.WriteLine($"Design spec {d.Id}: {(d.Converged ? "met" : "NOT met")} after {d.Iterations} flowsheet solve(s); varied = {d.VariedValue.ToString("G8", Inv)}, achieved = {d.AchievedValue.ToString("G8", Inv)}, target = {d.TargetValue.ToString("G8", Inv)}{(d.FailureReason is null ? "" : $"; {d.FailureReason}")}");
        }
    }

    public static void WriteCsv(SolveResult result, TextWriter o)
    {
        var f = result.Flowsheet;
        var names = f.Components.Select(c => c.Name).ToArray();
        var header = new List<string> { "stream", "from", "to", "phase", "temperature_K", "pressure_Pa", "vapor_fraction", "molar_flow_mol_per_s", "mass_flow_kg_per_s", "enthalpy_J_per_mol", "entropy_J_per_mol_K", "mass_density_kg_per_m3", "actual_volumetric_flow_m3_per_s", "standard_volumetric_flow_m3_per_s", "cp_J_per_mol_K", "vapor_viscosity_Pa_s", "liquid_viscosity_Pa_s" };
        header.AddRange(names.Select(n => $"x_{n}"));
        o.WriteLine(string.Join(',', header.Select(Quote)));
        for (var s = 0; s < f.Streams.Count; s++)
        {
            var c = f.Streams[s];
            var st = result.Streams[s];
            var row = new List<string> { c.Id, $"{f.Units[c.FromUnit].Id}.{c.FromPort}", $"{f.Units[c.ToUnit].Id}.{c.ToPort}" };
            if (st is null)
            {
                row.AddRange(Enumerable.Repeat("", 14 + names.Length));
            }
            else
            {
                row.Add(st.IsEmpty ? "empty" : st.State.ToString().ToLowerInvariant());
                row.AddRange(new[] { st.TemperatureK, st.PressurePa, st.VaporFraction, st.TotalMolarFlow, st.MassFlow, st.MolarEnthalpy, st.MolarEntropy }.Select(SimulateCommand.R));
                // Stream properties (computed here, when writing, not in the solve): overall density, flows and Cp, and the
                // viscosity of each phase present (empty when that phase is absent).
                var p = StreamProperties.Compute(f.Package, st);
                var vapor = p?.Phases.FirstOrDefault(ph => ph.Kind == Phase.Vapor);
                var liquid = p?.Phases.FirstOrDefault(ph => ph.Kind == Phase.Liquid);
                row.AddRange(new[] { p?.MassDensityKgPerM3 ?? double.NaN, p?.ActualVolumetricFlowM3PerS ?? double.NaN, p?.StandardVolumetricFlowM3PerS ?? double.NaN, p?.CpJPerMolK ?? double.NaN, vapor?.Properties.ViscosityPaS ?? double.NaN, liquid?.Properties.ViscosityPaS ?? double.NaN }.Select(SimulateCommand.R));
                row.AddRange(st.MoleFractions.Select(SimulateCommand.R));
            }
            o.WriteLine(string.Join(',', row.Select(Quote)));
        }
        o.WriteLine();
        o.WriteLine("unit,type,status,duty_W,power_W,mass_balance_relative,energy_balance_relative,failure_reason");
        for (var u = 0; u < f.Units.Count; u++)
        {
            var r = result.Units[u];
            var row = new List<string> { f.Units[u].Id, f.Units[u].Type };
            if (r is null)
            {
                row.AddRange(["not-calculated", "", "", "", "", ""]);
            }
            else
            {
                row.Add(r.Succeeded ? "ok" : "failed");
                row.AddRange(new[] { r.DutyW, r.PowerW, r.MassBalanceRelative, r.EnergyBalanceRelative }.Select(SimulateCommand.R));
                row.Add(r.FailureReason ?? "");
            }
            o.WriteLine(string.Join(',', row.Select(Quote)));
        }
        if (result.Warnings.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("warning,unit,stream,message");
            foreach (var w in result.Warnings)
            {
                o.WriteLine(string.Join(',', new[] { w.Code, w.UnitId ?? "", w.StreamId ?? "", w.Message }.Select(Quote)));
            }
        }
    }

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : field;

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
