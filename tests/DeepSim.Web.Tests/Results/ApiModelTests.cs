using DeepSim.Web.ApiClient.Models;
using DeepSim.Web.Components.Results;
using Microsoft.Kiota.Abstractions.Serialization;
using Microsoft.Kiota.Serialization.Json;

namespace DeepSim.Web.Tests.Results;

public class ApiModelTests
{
    private static async Task<T> DeserializeAsync<T>(string json, ParsableFactory<T> factory)
        where T : IParsable
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        var node = await new JsonParseNodeFactory().GetRootParseNodeAsync("application/json", stream).WaitAsync(TimeSpan.FromSeconds(10));
        return node.GetObjectValue(factory)!;
    }

    [Fact]
    public async Task A_run_result_read_by_the_Kiota_client_gives_the_same_view()
    {
        var envelope = $$"""{"runId":"0b9f8a43-9d3c-4c55-9c3e-8f1f3a2f1a11","cached":false,"converged":false,"failureReason":"stopped","result":{{ResultFixtures.Json("ammonia-synthesis-loop-not-converged")}}}""";

        var view = RunResultView.FromApi(await DeserializeAsync(envelope, RunResult.CreateFromDiscriminatorValue));

        Assert.False(view.Converged);
        Assert.StartsWith("the recycle torn at RECYCLE2", view.FailureReason, StringComparison.Ordinal);
        Assert.Equal(9, view.Streams.Count);
        Assert.Equal(298.15, view.Stream("FRESH")!.TemperatureK);
        Assert.Equal(2, view.RecycleBlocks[0].History.Count);
    }

    [Fact]
    public void A_study_table_in_the_Kiota_model_gives_the_same_points()
    {
        // Built by hand: the generated client cannot read "rows" yet (it asks Kiota for a collection of primitive UntypedNode
        // and Kiota throws "unknown type for deserialization"), so pages read /results as JSON text; this covers FromApi for later.
        var table = new StudyTable
        {
            Columns = ["point", StudyTables.TemperaturePath, "status", "converged", "V.vaporFraction"],
            Rows =
            [
                new UntypedArray([new UntypedInteger(0), new UntypedDouble(360), new UntypedString("completed"), new UntypedBoolean(true), new UntypedDouble(0.1)]),
                new UntypedArray([new UntypedInteger(1), new UntypedDouble(365), new UntypedString("failed"), new UntypedNull(), new UntypedNull()]),
            ],
        };

        var data = StudyTableData.FromApi(table);

        Assert.Equal([StudyTables.TemperaturePath], data.Inputs);
        Assert.Equal(2, data.Points.Count);
        Assert.Equal(0.1, data.Points[0].Outputs[0]);
        Assert.True(data.Points[0].Ok);
        Assert.Equal("failed", data.Points[1].Status);
        Assert.Null(data.Points[1].Outputs[0]);
    }
}
