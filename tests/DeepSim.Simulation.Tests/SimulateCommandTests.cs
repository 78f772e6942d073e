using System.Text.Json;
using DeepSim.Engine.Flowsheets;
using DeepSim.Engine.Solver;
using DeepSim.Simulation.Cli;

namespace DeepSim.Simulation.Tests;

public sealed class SimulateCommandTests : IDisposable
{
    private static readonly string Examples = FindExamples();
    private readonly string scratch = Directory.CreateTempSubdirectory("deepsim-cli-").FullName;

    private static string FindExamples()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSim.sln")))
        {
            dir = dir.Parent;
        }
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("DeepSim.sln not found"), "examples");
    }

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = SimulateCommand.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string Example(string name) => Path.Combine(Examples, name + ".json");

    public static TheoryData<string> AllExamples => new(Directory.GetFiles(FindExamples(), "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(AllExamples))]
    public void Every_example_converges_through_the_command_line(string name)
    {
        var (code, output, error) = Run(Example(name));
        Assert.True(code == SimulateCommand.ExitConverged, error);
        Assert.Contains("CONVERGED", output, StringComparison.Ordinal);
        Assert.Contains("Temperature [K]", output, StringComparison.Ordinal);
        Assert.Contains("Energy bal.", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_output_carries_full_double_precision()
    {
        var (code, output, error) = Run(Example("ammonia-synthesis-loop"), "--format", "json");
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("converged").GetBoolean());
        // The same solve in-process: every printed double must parse back to the identical value.
        var read = FlowsheetReader.Read(File.ReadAllText(Example("ammonia-synthesis-loop")), DefaultThermoCatalog.Instance);
        var result = FlowsheetSolver.Solve(read.Flowsheet!);
        var streams = root.GetProperty("streams");
        for (var s = 0; s < result.Streams.Count; s++)
        {
            var json = streams[s];
            Assert.Equal(result.Flowsheet.Streams[s].Id, json.GetProperty("id").GetString());
            Assert.Equal(result.Streams[s]!.TemperatureK, json.GetProperty("temperatureK").GetDouble());
            Assert.Equal(result.Streams[s]!.MolarEnthalpy, json.GetProperty("molarEnthalpyJPerMol").GetDouble());
            Assert.Equal(result.Streams[s]!.TotalMolarFlow, json.GetProperty("molarFlowMolPerS").GetDouble());
        }
        var block = root.GetProperty("convergence").GetProperty("blocks")[0];
        Assert.Equal("RECYCLE2", block.GetProperty("tearStreams")[0].GetString());
        Assert.Equal(block.GetProperty("iterations").GetInt32(), block.GetProperty("history").GetArrayLength());
    }

    [Fact]
    public void Csv_output_has_a_row_per_stream_and_per_unit()
    {
        var (code, output, error) = Run(Example("benzene-toluene-flash"), "--format=csv");
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.StartsWith("stream,from,to,phase,temperature_K", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("V,DRUM.vapor,VAPOR.in,vapor,368.15,", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("DRUM,flash,ok,", StringComparison.Ordinal));
        Assert.Equal(3, lines.TakeWhile(l => l.Length > 0).Count() - 1);

        // Stream properties: the vapour row has a density, actual and standard flows, Cp and a vapour viscosity only.
        var header = lines[0].Split(',');
        var v = lines.First(l => l.StartsWith("V,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(header.Length, v.Length);
        double Column(string name) => double.Parse(v[Array.IndexOf(header, name)], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(Column("mass_density_kg_per_m3"), 2.0, 3.5); // benzene–toluene vapour at 95 °C, 1 atm: M P/(R T) ≈ 2.7
        Assert.True(Column("actual_volumetric_flow_m3_per_s") > Column("standard_volumetric_flow_m3_per_s")); // 368 K > 288 K
        Assert.True(Column("cp_J_per_mol_K") > 0);
        Assert.InRange(Column("vapor_viscosity_Pa_s"), 5e-6, 15e-6);
        Assert.Equal("", v[Array.IndexOf(header, "liquid_viscosity_Pa_s")]);
    }

    [Fact]
    public void Invalid_input_exits_2_with_every_error_and_its_path()
    {
        var text = File.ReadAllText(Example("benzene-toluene-flash"))
            .Replace("\"toluene\"]", "\"tolune\"]", StringComparison.Ordinal)
            .Replace("\"value\": 95, \"unit\": \"C\"", "\"value\": 95, \"unit\": \"Celsius\"", StringComparison.Ordinal);
        var file = Path.Combine(scratch, "bad.json");
        File.WriteAllText(file, text);
        var (code, output, error) = Run(file);
        Assert.Equal(SimulateCommand.ExitInvalidInput, code);
        Assert.Equal("", output);
        Assert.Contains("$.components[1]: unknown component 'tolune'", error, StringComparison.Ordinal);
        Assert.Contains("$.units[1].spec.temperature.unit: unknown temperature unit 'Celsius'", error, StringComparison.Ordinal);
        Assert.Contains("nothing was solved", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_and_bad_arguments_exit_2()
    {
        Assert.Equal(2, Run(Path.Combine(scratch, "none.json")).Code);
        Assert.Equal(2, Run().Code);
        Assert.Equal(2, Run(Example("benzene-toluene-flash"), "--format", "xml").Code);
        Assert.Equal(2, Run(Example("benzene-toluene-flash"), "--verbose").Code);
        Assert.Equal(2, Run(Example("benzene-toluene-flash"), "--format").Code);
    }

    [Fact]
    public void Not_converged_exits_3_with_the_reason_and_report()
    {
        var text = File.ReadAllText(Example("ammonia-synthesis-loop")).Replace("\"maxIterations\": 200", "\"maxIterations\": 4", StringComparison.Ordinal);
        var file = Path.Combine(scratch, "short.json");
        File.WriteAllText(file, text);
        var (code, output, error) = Run(file, "--format", "json");
        Assert.Equal(SimulateCommand.ExitNotConverged, code);
        Assert.Contains("did not converge in 4 iterations", error, StringComparison.Ordinal);
        Assert.Contains("iteration   4", error, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(output);
        Assert.False(doc.RootElement.GetProperty("converged").GetBoolean());
    }

    [Fact]
    public void Several_files_are_solved_in_turn_each_headed_by_its_file_and_json_is_one_array()
    {
        var (code, output, error) = Run(Example("benzene-toluene-flash"), Example("natural-gas-flash"), "--format", "json");
        Assert.True(code == SimulateCommand.ExitConverged, error);
        using var doc = JsonDocument.Parse(output);
        var results = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal([Example("benzene-toluene-flash"), Example("natural-gas-flash")], results.Select(r => r.GetProperty("file").GetString()));
        Assert.All(results, r => Assert.True(r.GetProperty("result").GetProperty("converged").GetBoolean()));
        Assert.NotEqual(results[0].GetProperty("result").GetProperty("flowsheet").GetString(), results[1].GetProperty("result").GetProperty("flowsheet").GetString());

        var (tableCode, table, _) = Run(Example("benzene-toluene-flash"), Example("natural-gas-flash"));
        Assert.Equal(SimulateCommand.ExitConverged, tableCode);
        Assert.True(table.IndexOf("# " + Example("benzene-toluene-flash"), StringComparison.Ordinal)
            < table.IndexOf("# " + Example("natural-gas-flash"), StringComparison.Ordinal));
        Assert.Equal(2, table.Split("CONVERGED").Length - 1);
    }

    [Fact]
    public void With_several_files_the_worst_outcome_is_the_exit_code_and_the_good_files_are_still_solved()
    {
        var shortLoop = Path.Combine(scratch, "short.json");
        File.WriteAllText(shortLoop, File.ReadAllText(Example("ammonia-synthesis-loop")).Replace("\"maxIterations\": 200", "\"maxIterations\": 4", StringComparison.Ordinal));
        var broken = Path.Combine(scratch, "broken.json");
        File.WriteAllText(broken, "{");

        var (notConverged, _, error) = Run(Example("benzene-toluene-flash"), shortLoop);
        Assert.Equal(SimulateCommand.ExitNotConverged, notConverged);
        Assert.Contains(shortLoop + ": not converged", error, StringComparison.Ordinal);

        var (invalid, output, invalidError) = Run(broken, shortLoop, Example("benzene-toluene-flash"), "--format", "csv");
        Assert.Equal(SimulateCommand.ExitInvalidInput, invalid);
        Assert.Contains(broken + ": 1 error(s); nothing was solved", invalidError, StringComparison.Ordinal);
        Assert.Contains("# " + Example("benzene-toluene-flash"), output, StringComparison.Ordinal);
        Assert.True(output.Split('\n').SkipWhile(l => l != "# " + Example("benzene-toluene-flash")).Skip(1).First().Length > 0);
    }

    [Fact]
    public void An_infeasible_design_spec_exits_3()
    {
        var text = File.ReadAllText(Example("design-spec-heater-duty")).Replace("\"maximum\": { \"value\": 3, \"unit\": \"MW\" }", "\"maximum\": { \"value\": 50, \"unit\": \"kW\" }", StringComparison.Ordinal);
        var file = Path.Combine(scratch, "infeasible.json");
        File.WriteAllText(file, text);
        var (code, _, error) = Run(file);
        Assert.Equal(3, code);
        Assert.Contains("not bracketed", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_output_reports_the_balances_iterations_and_solve_time()
    {
        var (code, table, error) = Run(Example("ammonia-synthesis-loop"));
        Assert.True(code == SimulateCommand.ExitConverged, error);
        Assert.Contains("recycle iteration(s)", table, StringComparison.Ordinal);
        Assert.Contains("Balance (tolerance", table, StringComparison.Ordinal);
        Assert.Contains("generated", table, StringComparison.Ordinal);
        var (_, json, _) = Run(Example("ammonia-synthesis-loop"), "--format", "json");
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("iterations").GetInt32() > 0);
        Assert.True(root.GetProperty("solveTimeSeconds").GetDouble() > 0);
        var balance = root.GetProperty("balance");
        Assert.Equal(4, balance.GetProperty("components").GetArrayLength());
        Assert.True(balance.GetProperty("components")[0].GetProperty("generatedMolPerS").GetDouble() < 0);
        Assert.InRange(Math.Abs(balance.GetProperty("energy").GetProperty("relative").GetDouble()), 0, SolveBalance.EnergyTolerance);
    }

    [Fact]
    public void A_loop_that_accumulates_material_exits_3_with_the_diagnosis()
    {
        // All benzene is returned to the mixer: it has no way out and there is no steady state.
        const string text = """
        {
          "components": ["benzene", "toluene"], "propertyPackage": "ideal",
          "units": [
            { "id": "FEED", "type": "feed", "spec": { "temperature": 298.15, "pressure": 101325, "molarFlow": 10, "moleFractions": { "benzene": 0.58, "toluene": 0.42 } } },
            { "id": "MIX", "type": "mixer" },
            { "id": "SEP", "type": "componentSeparator", "spec": { "splits": { "benzene": 1 } } },
            { "id": "PRODUCT", "type": "product" }
          ],
          "streams": [
            { "id": "S1", "from": "FEED.out", "to": "MIX.in1" }, { "id": "S2", "from": "MIX.out", "to": "SEP.in" },
            { "id": "BACK", "from": "SEP.out1", "to": "MIX.in2" }, { "id": "OUT", "from": "SEP.out2", "to": "PRODUCT.in" }
          ],
          "solver": { "tolerance": 1e-2 }
        }
        """;
        var file = Path.Combine(scratch, "accumulates.json");
        File.WriteAllText(file, text);
        var (code, _, error) = Run(file);
        Assert.Equal(SimulateCommand.ExitNotConverged, code);
        Assert.Contains("material accumulates in the loop through MIX, SEP", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Table_and_csv_output_list_the_model_sanity_warnings()
    {
        var (code, table, error) = Run(Example("ammonia-synthesis-loop"));
        Assert.True(code == 0, error);
        Assert.Contains("Warnings (2):", table, StringComparison.Ordinal);
        Assert.Contains("  [conversion-beyond-equilibrium] Unit REACTOR", table, StringComparison.Ordinal);
        Assert.Contains("  [missing-kij] ", table, StringComparison.Ordinal);
        (code, var csv, error) = Run(Example("ammonia-synthesis-loop"), "--format", "csv");
        Assert.True(code == 0, error);
        var lines = csv.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var header = lines.IndexOf("warning,unit,stream,message");
        Assert.True(header > 0, csv);
        Assert.StartsWith("conversion-beyond-equilibrium,REACTOR,", lines[header + 1], StringComparison.Ordinal);
        Assert.StartsWith("missing-kij,,", lines[header + 2], StringComparison.Ordinal);
    }

    [Fact]
    public void A_result_without_warnings_prints_no_warnings_section()
    {
        var (code, table, error) = Run(Example("benzene-toluene-flash"));
        Assert.True(code == 0, error);
        Assert.DoesNotContain("Warnings (", table, StringComparison.Ordinal);
        (_, var csv, _) = Run(Example("benzene-toluene-flash"), "--format", "csv");
        Assert.DoesNotContain("warning,unit,stream,message", csv, StringComparison.Ordinal);
    }
}
