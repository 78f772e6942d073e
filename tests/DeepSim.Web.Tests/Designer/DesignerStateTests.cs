using System.Text.Json.Nodes;
using DeepSim.Web.Components.Designer;

namespace DeepSim.Web.Tests.Designer;

public class DesignerStateTests
{
    private static DesignerState WithComponents()
    {
        var state = new DesignerState();
        state.SetComponents(["benzene", "toluene"]);
        return state;
    }

    [Fact]
    public void Added_units_get_numbered_ids_a_position_and_their_catalogue_defaults()
    {
        var state = WithComponents();
        Assert.Equal("FEED1", state.AddUnit("feed", 10, 20));
        Assert.Equal("HEATER1", state.AddUnit("heater", 200, 20));
        Assert.Equal("HEATER2", state.AddUnit("heater", 400, 20));
        Assert.Equal("FLASH1", state.AddUnit("flash", 600, 20));

        var heater = state.Spec("HEATER1");
        Assert.Equal(100, heater["outletTemperature"]!["value"]!.GetValue<double>());
        Assert.Equal("C", heater["outletTemperature"]!["unit"]!.GetValue<string>());
        Assert.False(heater.ContainsKey("duty"));
        Assert.Equal(0, state.Spec("FLASH1")["duty"]!["value"]!.GetValue<double>());

        var feed = state.Spec("FEED1");
        Assert.Equal(25, feed["temperature"]!["value"]!.GetValue<double>());
        Assert.Equal("atm", feed["pressure"]!["unit"]!.GetValue<string>());
        Assert.Equal(100, feed["molarFlow"]!["value"]!.GetValue<double>());
        Assert.Equal(0.5, feed["moleFractions"]!["benzene"]!.GetValue<double>());
        Assert.Equal(0.5, feed["moleFractions"]!["toluene"]!.GetValue<double>());

        Assert.Equal((200, 20), (state.Unit("HEATER1")!.X, state.Unit("HEATER1")!.Y));
    }

    [Fact]
    public void Connecting_generates_stream_ids_and_refuses_a_port_connected_twice()
    {
        var state = WithComponents();
        state.AddUnit("feed", 0, 0);
        state.AddUnit("heater", 200, 0);
        state.AddUnit("product", 400, 0);

        Assert.True(state.TryConnect("FEED1.out", "HEATER1.in", out var s1));
        Assert.Equal("S1", s1);
        Assert.True(state.TryConnect("HEATER1.out", "PROD1.in", out var s2));
        Assert.Equal("S2", s2);

        state.AddUnit("feed", 0, 200);
        var before = state.ToJson();
        Assert.False(state.TryConnect("FEED2.out", "HEATER1.in", out var inletTwice));
        Assert.Contains("already connected", inletTwice, StringComparison.Ordinal);
        Assert.False(state.TryConnect("FEED1.out", "PROD1.in", out var outletTwice));
        Assert.Contains("already connected", outletTwice, StringComparison.Ordinal);
        Assert.Equal(before, state.ToJson());
    }

    [Theory]
    [InlineData("HEATER1.vapor", "FLASH1.in", "no outlet port 'vapor'")]
    [InlineData("FLASH1.vapor", "FEED1.in", "no inlet ports")]
    [InlineData("HEATER1.in", "FLASH1.in", "no outlet port 'in'")]
    [InlineData("NOPE.out", "FLASH1.in", "no unit 'NOPE'")]
    public void Connecting_refuses_ports_the_unit_type_does_not_have(string from, string to, string reason)
    {
        var state = WithComponents();
        state.AddUnit("feed", 0, 0);
        state.AddUnit("heater", 200, 0);
        state.AddUnit("flash", 400, 0);

        Assert.False(state.TryConnect(from, to, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Empty(state.Streams);
    }

    [Fact]
    public void Mixer_inlets_and_splitter_outlets_offer_the_next_free_name()
    {
        var state = WithComponents();
        state.AddUnit("feed", 0, 0);
        state.AddUnit("feed", 0, 100);
        state.AddUnit("mixer", 200, 0);
        state.AddUnit("splitter", 400, 0);

        Assert.Equal(["in1"], state.Ports("MIX1").Inlets);
        Assert.True(state.TryConnect("FEED1.out", "MIX1.in1", out _));
        Assert.Equal(["in1", "in2"], state.Ports("MIX1").Inlets);
        Assert.True(state.TryConnect("FEED2.out", "MIX1.in2", out _));
        Assert.Equal(["in1", "in2", "in3"], state.Ports("MIX1").Inlets);
        Assert.False(state.TryConnect("SPLIT1.out1", "MIX1.out", out _)); // a mixer's "out" is its outlet, never an inlet

        Assert.Equal(["out1"], state.Ports("SPLIT1").Outlets);
        Assert.True(state.TryConnect("MIX1.out", "SPLIT1.in", out _));
        Assert.Equal(["out1"], state.Ports("SPLIT1").Outlets);
    }

    [Fact]
    public void Removing_a_unit_removes_its_streams_and_nothing_else()
    {
        var state = WithComponents();
        state.AddUnit("feed", 0, 0);
        state.AddUnit("heater", 200, 0);
        state.AddUnit("product", 400, 0);
        state.AddUnit("feed", 0, 200);
        state.AddUnit("product", 200, 200);
        state.TryConnect("FEED1.out", "HEATER1.in", out _);
        state.TryConnect("HEATER1.out", "PROD1.in", out _);
        state.TryConnect("FEED2.out", "PROD2.in", out _);

        state.RemoveUnit("HEATER1");

        Assert.Null(state.Unit("HEATER1"));
        Assert.Equal(["S3"], state.Streams.Select(s => s.Id));
        Assert.Equal(4, state.Units.Count);
    }

    [Fact]
    public void Undo_restores_exactly_the_previous_json_and_redo_reapplies_it()
    {
        var state = WithComponents();
        state.AddUnit("feed", 0, 0);
        state.AddUnit("heater", 200, 0);
        var beforeConnect = state.ToJson();
        state.TryConnect("FEED1.out", "HEATER1.in", out _);
        var afterConnect = state.ToJson();
        state.MoveUnit("HEATER1", 300, 50);
        state.SetSpecQuantity("HEATER1", "outletTemperature", 150, "C");
        var afterEdit = state.ToJson();

        state.Undo();
        state.Undo();
        Assert.Equal(afterConnect, state.ToJson());
        state.Undo();
        Assert.Equal(beforeConnect, state.ToJson());
        Assert.Empty(state.Streams);

        state.Redo();
        state.Redo();
        state.Redo();
        Assert.Equal(afterEdit, state.ToJson());
        Assert.False(state.CanRedo);
        Assert.Equal(150, state.Spec("HEATER1")["outletTemperature"]!["value"]!.GetValue<double>());
    }

    [Fact]
    public void A_new_edit_after_undo_drops_the_redo_history()
    {
        var state = WithComponents();
        state.AddUnit("feed", 0, 0);
        state.Undo();
        Assert.True(state.CanRedo);
        state.AddUnit("heater", 0, 0);
        Assert.False(state.CanRedo);
        Assert.Equal(["HEATER1"], state.Units.Select(u => u.Id));
    }

    [Fact]
    public void History_is_bounded()
    {
        var state = new DesignerState();
        for (var i = 0; i < DesignerState.HistoryLimit + 20; i++)
        {
            state.SetName($"name {i}");
        }
        var undone = 0;
        while (state.CanUndo)
        {
            state.Undo();
            undone++;
        }
        Assert.Equal(DesignerState.HistoryLimit, undone);
        Assert.Equal("name 19", state.Name);
    }

    [Fact]
    public void Dirty_since_the_last_save_and_clean_again_when_undone_to_it()
    {
        var state = WithComponents();
        Assert.True(state.IsDirty); // components were set after the document was loaded
        state.MarkSaved();
        Assert.False(state.IsDirty);
        state.AddUnit("feed", 0, 0);
        Assert.True(state.IsDirty);
        state.Undo();
        Assert.False(state.IsDirty);
    }

    [Fact]
    public void Every_operation_raises_Changed()
    {
        var state = WithComponents();
        var count = 0;
        state.Changed += () => count++;
        state.AddUnit("feed", 0, 0);
        state.MoveUnit("FEED1", 5, 5);
        state.Undo();
        state.Redo();
        Assert.Equal(4, count);
    }

    [Fact]
    public void Renaming_a_unit_renames_the_stream_ends_and_refuses_a_taken_id()
    {
        var state = WithComponents();
        state.AddUnit("feed", 0, 0);
        state.AddUnit("heater", 200, 0);
        state.TryConnect("FEED1.out", "HEATER1.in", out _);

        Assert.True(state.TryRename("HEATER1", "E-101", out _));
        Assert.Equal("E-101", state.Streams[0].ToUnit);
        Assert.Equal("E-101.in", state.Document["streams"]![0]!["to"]!.GetValue<string>());
        Assert.False(state.TryRename("E-101", "FEED1", out var taken));
        Assert.Contains("already", taken, StringComparison.Ordinal);
        Assert.False(state.TryRename("E-101", "A.B", out _));
    }

    [Fact]
    public void Choosing_another_member_of_an_exactly_one_group_replaces_the_given_key()
    {
        var state = WithComponents();
        state.AddUnit("heater", 0, 0);
        state.ChooseGroupMember("HEATER1", "duty");
        var spec = state.Spec("HEATER1");
        Assert.False(spec.ContainsKey("outletTemperature"));
        Assert.Equal("kW", spec["duty"]!["unit"]!.GetValue<string>());
    }

    [Fact]
    public void Positions_survive_save_and_load()
    {
        var state = WithComponents();
        state.AddUnit("feed", 123, 45);
        var reloaded = new DesignerState(state.ToJson());
        Assert.Equal((123, 45), (reloaded.Unit("FEED1")!.X, reloaded.Unit("FEED1")!.Y));
        Assert.Equal(123, reloaded.Document["units"]![0]!["layout"]!["x"]!.GetValue<double>());
    }

    [Fact]
    public void Bad_json_is_refused_with_a_message_and_the_state_is_unchanged()
    {
        var state = WithComponents();
        state.AddUnit("feed", 0, 0);
        var before = state.ToJson();
        var canUndo = state.CanUndo;

        Assert.False(state.TryLoad("{ \"units\": [ ", out var error));
        Assert.StartsWith("Not valid JSON", error, StringComparison.Ordinal);
        Assert.False(state.TryLoad("[1, 2]", out var notObject));
        Assert.Contains("JSON object", notObject, StringComparison.Ordinal);
        Assert.Equal(before, state.ToJson());
        Assert.Equal(canUndo, state.CanUndo);
    }

    [Fact]
    public void Loading_json_replaces_the_document_and_can_be_undone()
    {
        var state = WithComponents();
        state.AddUnit("feed", 0, 0);
        var before = state.ToJson();
        var file = File.ReadAllText(Path.Combine(RepositoryRoot(), "examples", "benzene-toluene-flash.json"));

        Assert.True(state.TryLoad(file, out _));
        Assert.Equal(["FEED", "DRUM", "VAPOR", "LIQUID"], state.Units.Select(u => u.Id));
        Assert.Equal(3, state.Streams.Count);
        state.Undo();
        Assert.Equal(before, state.ToJson());
    }

    [Fact]
    public void Auto_layout_puts_feeds_left_of_products_and_follows_the_flow_through_a_recycle()
    {
        var state = WithComponents();
        // Declared out of order, with a recycle FLASH1.liquid → SPLIT1 → MIX1.
        state.AddUnit("product", 0, 0);
        state.AddUnit("flash", 0, 0);
        state.AddUnit("mixer", 0, 0);
        state.AddUnit("feed", 0, 0);
        state.AddUnit("splitter", 0, 0);
        state.AddUnit("product", 0, 0);
        state.TryConnect("FEED1.out", "MIX1.in1", out _);
        state.TryConnect("MIX1.out", "FLASH1.in", out _);
        state.TryConnect("FLASH1.vapor", "PROD1.in", out _);
        state.TryConnect("FLASH1.liquid", "SPLIT1.in", out _);
        state.TryConnect("SPLIT1.out1", "MIX1.in2", out _);
        state.TryConnect("SPLIT1.out2", "PROD2.in", out _);

        state.AutoLayout();

        double X(string id) => state.Unit(id)!.X;
        Assert.True(X("FEED1") < X("MIX1"));
        Assert.True(X("MIX1") < X("FLASH1"));
        Assert.True(X("FLASH1") < X("SPLIT1"));
        Assert.True(X("SPLIT1") < X("PROD1"));
        Assert.Equal(X("PROD1"), X("PROD2"));
        Assert.NotEqual(state.Unit("PROD1")!.Y, state.Unit("PROD2")!.Y);

        var first = state.ToJson();
        state.AutoLayout();
        Assert.Equal(first, state.ToJson()); // deterministic: a second run changes nothing
        state.Undo();
        Assert.Equal(0, X("FEED1"));
    }

    [Fact]
    public void A_file_without_layout_gets_auto_layout_positions_that_later_edits_keep()
    {
        var file = File.ReadAllText(Path.Combine(RepositoryRoot(), "examples", "benzene-toluene-flash.json"));
        var state = new DesignerState(file);
        Assert.True(state.Unit("FEED")!.X < state.Unit("DRUM")!.X);
        Assert.True(state.Unit("DRUM")!.X < state.Unit("VAPOR")!.X);
        Assert.NotNull(state.Document["units"]![0]!["layout"]);
        Assert.False(state.IsDirty); // nothing the person did is unsaved
        Assert.False(state.CanUndo);

        var feed = state.Unit("FEED")!;
        state.AddUnit("heater", 900, 900);
        Assert.Equal((feed.X, feed.Y), (state.Unit("FEED")!.X, state.Unit("FEED")!.Y));
    }

    [Theory]
    [InlineData("$.units[2].spec.outletTemperature", IssueScope.Unit, 2, "outletTemperature")]
    [InlineData("$.units[0].spec.moleFractions.benzene", IssueScope.Unit, 0, "moleFractions")]
    [InlineData("$.units[3].id", IssueScope.Unit, 3, "id")]
    [InlineData("$.units[1]", IssueScope.Unit, 1, null)]
    [InlineData("$.streams[0].from", IssueScope.Stream, 0, "from")]
    [InlineData("$.components[1]", IssueScope.Flowsheet, -1, "components")]
    [InlineData("$", IssueScope.Flowsheet, -1, null)]
    public void Validation_paths_name_the_unit_or_stream_and_field(string path, IssueScope scope, int index, string? field) =>
        Assert.Equal(new IssueLocation(scope, index, field), IssueLocation.Parse(path));

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSim.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    internal static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}
