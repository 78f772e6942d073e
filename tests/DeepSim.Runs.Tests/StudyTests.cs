using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Xunit.Abstractions;

namespace DeepSim.Runs.Tests;

[Collection(RunsTests.Name)]
public sealed class StudyTests(RunsFixture fixture, ITestOutputHelper output)
{
    private const string DrumTemperature = "$.units[1].spec.temperature.value";
    private const string DrumPressure = "$.units[1].spec.pressure.value";

    private static async Task<JsonElement> CreateStudyAsync(ApiHost api, TestTenant tenant, object request)
    {
        using var client = api.Client(tenant.Token);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await client.PostAsJsonAsync("/api/v1/studies", request, timeout.Token);
        var body = await TestTenant.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"study create: {response.StatusCode} {body}");
        return body;
    }

    [Fact]
    public async Task A_study_tabulates_the_outputs_it_names_and_refuses_ids_the_flowsheet_lacks()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.Example());
        using (var client = fixture.Api.Client(tenant.Token))
        using (var refused = await client.PostAsJsonAsync("/api/v1/studies", new
        {
            flowsheetId = flowsheet, name = "bad", parameters = new[] { new { path = DrumTemperature, values = new[] { 90.0 } } },
            outputs = new[] { "V.temperatureK", "NOPE.dutyW", "DRUM" },
        }))
        {
            var problem = await TestTenant.ReadAsync(refused);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("not a stream or unit", problem.GetProperty("errors").GetProperty("outputs[1]")[0].GetString(), StringComparison.Ordinal);
            Assert.True(problem.GetProperty("errors").TryGetProperty("outputs[2]", out _));
            Assert.False(problem.GetProperty("errors").TryGetProperty("outputs[0]", out _));
        }

        string[] outputs = ["V.temperatureK", "DRUM.dutyW", "V.moleFractions.Benzene", "L.noSuchField"];
        var study = await CreateStudyAsync(fixture.Api, tenant, new
        {
            flowsheetId = flowsheet, name = "chosen outputs", outputs,
            parameters = new[] { new { path = DrumTemperature, values = new[] { 90.0, 100.0 } } },
        });
        var studyId = study.GetProperty("id").GetGuid();
        await using (WorkerProcess.Start(fixture.Api.Url, concurrency: 2))
        {
            await TestTenant.WaitUntilAsync(async () =>
                (await tenant.GetAsync(fixture.Api, $"/api/v1/studies/{studyId}")).GetProperty("progress").GetProperty("done").GetInt32() == 2,
                TimeSpan.FromSeconds(120), "study finished");
        }
        var table = await tenant.GetAsync(fixture.Api, $"/api/v1/studies/{studyId}/results");
        Assert.Equal(["point", DrumTemperature, "status", "converged", .. outputs], table.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        var rows = table.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(363.15, rows[0][4].GetDouble(), 6); // the vapour leaves the drum at the drum's 90 C
        Assert.True(rows[1][5].GetDouble() > rows[0][5].GetDouble(), "a hotter drum needs more duty");
        Assert.InRange(rows[0][6].GetDouble(), 0.5, 1.0);
        Assert.Equal(JsonValueKind.Null, rows[0][7].ValueKind); // a field the result does not have is an empty cell
    }

    [Fact]
    public async Task Studies_are_listed_newest_first_per_tenant_and_filtered_by_flowsheet()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var other = await TestTenant.CreateAsync(fixture);
        var first = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.Example());
        var second = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.Example());
        var older = await CreateStudyAsync(fixture.Api, tenant, new { flowsheetId = first, name = "older", parameters = new[] { new { path = DrumTemperature, values = new[] { 90.0 } } } });
        var newer = await CreateStudyAsync(fixture.Api, tenant, new { flowsheetId = second, name = "newer", parameters = new[] { new { path = DrumTemperature, values = new[] { 91.0 } } } });

        var all = await tenant.GetAsync(fixture.Api, "/api/v1/studies");
        Assert.Equal(2, all.GetProperty("total").GetInt64());
        Assert.Equal([newer.GetProperty("id").GetGuid(), older.GetProperty("id").GetGuid()],
            all.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("id").GetGuid()));
        Assert.Equal(1, all.GetProperty("items")[0].GetProperty("progress").GetProperty("total").GetInt32());

        var ofFirst = await tenant.GetAsync(fixture.Api, $"/api/v1/studies?flowsheetId={first}");
        Assert.Equal("older", Assert.Single(ofFirst.GetProperty("items").EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(0, (await other.GetAsync(fixture.Api, "/api/v1/studies")).GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task A_study_of_100_points_completes_with_every_point_accounted_for_and_exports_csv_and_xlsx()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.Example());
        var study = await CreateStudyAsync(fixture.Api, tenant, new
        {
            flowsheetId = flowsheet,
            name = "T x P",
            parameters = new object[]
            {
                new { path = DrumTemperature, from = 85.0, to = 106.0, steps = 10 },
                new { path = DrumPressure, values = new[] { 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2, 1.25 } },
            },
        });
        var studyId = study.GetProperty("id").GetGuid();
        Assert.Equal(100, study.GetProperty("progress").GetProperty("total").GetInt32());

        await using (var a = WorkerProcess.Start(fixture.Api.Url, concurrency: 3))
        await using (var b = WorkerProcess.Start(fixture.Api.Url, concurrency: 3))
        {
            await TestTenant.WaitUntilAsync(async () =>
                (await tenant.GetAsync(fixture.Api, $"/api/v1/studies/{studyId}")).GetProperty("progress").GetProperty("done").GetInt32() == 100,
                TimeSpan.FromSeconds(180), "study finished");
        }
        var done = await tenant.GetAsync(fixture.Api, $"/api/v1/studies/{studyId}");
        output.WriteLine(done.GetProperty("progress").GetRawText());
        Assert.Equal("finished", done.GetProperty("status").GetString());
        Assert.Equal(100, done.GetProperty("progress").GetProperty("completed").GetInt32());

        var table = await tenant.GetAsync(fixture.Api, $"/api/v1/studies/{studyId}/results");
        var columns = table.GetProperty("columns").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Equal(["point", DrumTemperature, DrumPressure, "status", "converged"], columns.Take(5));
        Assert.Contains("V.temperatureK", columns);
        var rows = table.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(0, 100), rows.Select(r => r[0].GetInt32()));
        Assert.Equal(100, rows.Select(r => (r[1].GetDouble(), r[2].GetDouble())).Distinct().Count());
        // Point 0 is the first temperature and first pressure: 85 C and 0.8 atm.
        Assert.Equal((85.0, 0.8), (rows[0][1].GetDouble(), rows[0][2].GetDouble()));
        Assert.All(rows, r => Assert.Equal("completed", r[3].GetString()));

        using var client = fixture.Api.Client(tenant.Token);
        var csv = await client.GetStringAsync($"/api/v1/studies/{studyId}/export?format=csv");
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(101, lines.Length);
        Assert.StartsWith("point,", lines[0], StringComparison.Ordinal);
        var xlsx = await client.GetByteArrayAsync($"/api/v1/studies/{studyId}/export?format=xlsx");
        using var document = SpreadsheetDocument.Open(new MemoryStream(xlsx), false);
        var sheet = document.WorkbookPart!.WorksheetParts.Single().Worksheet.GetFirstChild<SheetData>()!;
        Assert.Equal(101, sheet.Elements<Row>().Count());
        Assert.Equal(columns.Count, sheet.Elements<Row>().First().Elements<Cell>().Count());
    }

    [Fact]
    public async Task Cancelling_a_study_cancels_its_queued_runs()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.Example());
        var study = await CreateStudyAsync(fixture.Api, tenant, new
        {
            flowsheetId = flowsheet,
            name = "to cancel",
            parameters = new object[] { new { path = DrumTemperature, values = new[] { 86.0, 87, 88, 89, 90, 91, 92, 93, 94, 95 } } },
        });
        var studyId = study.GetProperty("id").GetGuid();
        using var client = fixture.Api.Client(tenant.Token);

        using var response = await client.PostAsync($"/api/v1/studies/{studyId}/cancel", null);
        var cancelled = await TestTenant.ReadAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal(10, cancelled.GetProperty("progress").GetProperty("cancelled").GetInt32());
        await using var db = await fixture.OpenOwnerAsync();
        Assert.Equal(10L, await db.ExecuteScalarAsync<long>("select count(*) from runs where study_id = @studyId and status = 'cancelled'", new { studyId }));
    }

    [Fact]
    public async Task A_study_with_a_path_that_names_no_number_is_refused_with_the_field()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.Example());
        using var client = fixture.Api.Client(tenant.Token);
        using var response = await client.PostAsJsonAsync("/api/v1/studies", new
        {
            flowsheetId = flowsheet,
            name = "bad",
            parameters = new object[] { new { path = "$.units[1].spec.nothing", values = new[] { 1.0 } }, new { path = DrumPressure, from = 1.0, to = 2.0, steps = 1 } },
        });
        var body = await TestTenant.ReadAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(body.GetProperty("errors").TryGetProperty("parameters[0].path", out _));
        Assert.True(body.GetProperty("errors").TryGetProperty("parameters[1].steps", out _));
    }

    [Fact]
    public async Task A_running_run_is_stopped_by_its_worker_when_cancelled()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(87.5));
        await using var worker = WorkerProcess.Start(fixture.Api.Url, concurrency: 1, minimumRunMilliseconds: 60_000);
        var runId = await tenant.SubmitOkAsync(fixture.Api, flowsheet);
        await TestTenant.WaitForStatusAsync(fixture, runId, TimeSpan.FromSeconds(60), "running");
        using var client = fixture.Api.Client(tenant.Token);

        using var response = await client.PostAsync($"/api/v1/runs/{runId}/cancel", null);
        var body = await TestTenant.ReadAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body.GetProperty("cancelRequested").GetBoolean());

        Assert.Equal("cancelled", await TestTenant.WaitForStatusAsync(fixture, runId, TimeSpan.FromSeconds(30), "cancelled", "completed"));
        await using var db = await fixture.OpenOwnerAsync();
        var kinds = (await db.QueryAsync<string>("select kind from run_events where run_id = @runId order by id", new { runId })).ToList();
        Assert.Equal("cancelled", kinds[^1]);
        Assert.Contains("cancel-requested", kinds);
    }
}
