using Bunit;
using DeepSim.Web.Components.Designer;
using MudBlazor.Services;

namespace DeepSim.Web.Tests.Designer;

public class PropertyPanelTests : BunitContext, IAsyncLifetime
{
    // MudBlazor's services are only asynchronously disposable: dispose the context that way.
    public Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private readonly DesignerState state = new();

    public PropertyPanelTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        state.SetComponents(["benzene", "toluene"]);
        state.AddUnit("feed", 0, 0);
        state.AddUnit("heater", 200, 0);
    }

    private IRenderedComponent<PropertyPanel> RenderPanel(DesignerSelection? selection, params ValidationIssue[] issues) =>
        Render<PropertyPanel>(p => p
            .Add(x => x.State, state)
            .Add(x => x.Selection, selection)
            .Add(x => x.Issues, issues));

    private static DesignerSelection Unit(string id) => new(SelectionKind.Unit, id);

    [Fact]
    public void A_validation_issue_is_shown_under_the_field_it_names()
    {
        var cut = RenderPanel(Unit("HEATER1"),
            new ValidationIssue("$.units[1].spec.outletTemperature", "must be above 0 K"),
            new ValidationIssue("$.units[0].spec.pressure", "belongs to the feed"));

        Assert.Equal("must be above 0 K", cut.Find("[data-testid=issue-outletTemperature]").TextContent);
        Assert.DoesNotContain("belongs to the feed", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void A_saved_spec_value_links_to_a_study_of_its_path_and_an_unsaved_one_does_not()
    {
        state.MarkSaved();
        var cut = Render<PropertyPanel>(p => p.Add(x => x.State, state).Add(x => x.Selection, Unit("HEATER1"))
            .Add(x => x.StudyHref, path => "study?path=" + path));

        Assert.Equal("study?path=$.units[1].spec.outletTemperature.value", cut.Find("[data-testid=study-field-outletTemperature]").GetAttribute("href"));

        state.SetSpecQuantity("HEATER1", "outletTemperature", 120, "C");
        cut.Render();
        Assert.Empty(cut.FindAll("[data-testid=study-field-outletTemperature]"));
    }

    [Fact]
    public void Editing_a_field_writes_the_quantity_into_the_document()
    {
        var cut = RenderPanel(Unit("HEATER1"));
        cut.Find("[data-testid=field-outletTemperature]").Change("150");

        var t = state.Spec("HEATER1")["outletTemperature"]!;
        Assert.Equal(150, t["value"]!.GetValue<double>());
        Assert.Equal("C", t["unit"]!.GetValue<string>());
    }

    [Fact]
    public void Choosing_duty_in_the_group_selector_replaces_the_outlet_temperature()
    {
        var cut = RenderPanel(Unit("HEATER1"));
        cut.Find("[data-testid=group-heat]").Change("duty");
        cut.Render();

        Assert.False(state.Spec("HEATER1").ContainsKey("outletTemperature"));
        Assert.NotNull(cut.Find("[data-testid=field-duty]"));
        Assert.Empty(cut.FindAll("[data-testid=field-outletTemperature]"));
    }

    [Fact]
    public void The_feed_composition_can_be_edited_and_normalised()
    {
        var cut = RenderPanel(Unit("FEED1"));
        cut.Find("[data-testid=field-moleFractions-benzene]").Change("3");
        cut.Render();
        cut.Find("[data-testid=field-moleFractions-toluene]").Change("1");
        cut.Render();
        cut.Find("[data-testid=normalise-moleFractions]").Click();

        var x = state.Spec("FEED1")["moleFractions"]!;
        Assert.Equal(0.75, x["benzene"]!.GetValue<double>());
        Assert.Equal(0.25, x["toluene"]!.GetValue<double>());
    }

    [Fact]
    public void With_nothing_selected_it_edits_the_flowsheet()
    {
        var cut = RenderPanel(null, new ValidationIssue("$.propertyPackage", "unknown property package"));
        cut.Find("[data-testid=field-propertyPackage]").Change("peng-robinson");
        cut.Find("[data-testid=component-add-input]").Change("methane");
        cut.Find("[data-testid=component-add]").Click();

        Assert.Equal("peng-robinson", state.PropertyPackage);
        Assert.Equal(["benzene", "toluene", "methane"], state.Components);
        Assert.Contains("unknown property package", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reaction_is_edited_field_by_field()
    {
        state.AddUnit("conversionReactor", 400, 0);
        var cut = RenderPanel(Unit("RX1"));
        cut.Find("[data-testid=field-reactions-0-conversion]").Change("0.3");
        cut.Render();
        cut.Find("[data-testid=field-reactions-0-toluene]").Change("2");
        cut.Render();
        cut.Find("[data-testid=reaction-add]").Click();

        var reactions = state.Spec("RX1")["reactions"]!.AsArray();
        Assert.Equal(2, reactions.Count);
        Assert.Equal(0.3, reactions[0]!["conversion"]!.GetValue<double>());
        Assert.Equal(2, reactions[0]!["stoichiometry"]!["toluene"]!.GetValue<double>());
        Assert.Equal(-1, reactions[0]!["stoichiometry"]!["benzene"]!.GetValue<double>());
        Assert.Equal("benzene", reactions[1]!["keyComponent"]!.GetValue<string>());
    }

    [Fact]
    public void Renaming_the_unit_renames_it_in_the_document()
    {
        DesignerSelection? renamed = null;
        var cut = Render<PropertyPanel>(p => p
            .Add(x => x.State, state)
            .Add(x => x.Selection, Unit("HEATER1"))
            .Add(x => x.SelectionChanged, (DesignerSelection? s) => renamed = s));
        cut.Find("[data-testid=field-id]").Change("E-100");

        Assert.NotNull(state.Unit("E-100"));
        Assert.Equal(Unit("E-100"), renamed);
    }

    [Fact]
    public void Solver_options_are_written_to_the_document_and_removed_when_cleared()
    {
        var cut = RenderPanel(null);
        cut.Find("[data-testid=solver-method]").Change("broyden");
        cut.Find("[data-testid=field-solver-tolerance]").Change("1e-6");
        Assert.Equal("broyden", state.SolverOptions["method"]!.GetValue<string>());
        Assert.Equal(1e-6, state.SolverOptions["tolerance"]!.GetValue<double>());

        cut.Find("[data-testid=solver-method]").Change("");
        cut.Find("[data-testid=field-solver-tolerance]").Change("");
        Assert.DoesNotContain("\"solver\"", state.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_design_specification_is_built_in_the_panel_in_the_file_format()
    {
        Assert.True(state.TryConnect("FEED1.out", "HEATER1.in", out var stream), stream);
        var cut = RenderPanel(null);
        cut.Find("[data-testid=design-spec-add]").Click();
        cut.Find("[data-testid=design-spec-0-vary-unit]").Change("HEATER1");
        // The heater is given an outlet temperature, so that is what it can vary.
        Assert.Equal("outletTemperature", state.DesignSpecs[0]["vary"]!["parameter"]!.GetValue<string>());
        cut.Find("[data-testid=field-ds0-minimum]").Change("50");
        cut.Find("[data-testid=field-ds0-maximum]").Change("150");
        cut.Find("[data-testid=design-spec-0-target-object]").Change(stream);
        cut.Find("[data-testid=design-spec-0-target-property]").Change("moleFraction");
        cut.Find("[data-testid=design-spec-0-target-component]").Change("toluene");
        cut.Find("[data-testid=field-ds0-target]").Change("0.4");

        var spec = Assert.Single(state.DesignSpecs);
        Assert.Equal("DS1", spec["id"]!.GetValue<string>());
        var vary = spec["vary"]!;
        Assert.Equal("HEATER1", vary["unit"]!.GetValue<string>());
        Assert.Equal(50, vary["minimum"]!["value"]!.GetValue<double>());
        Assert.Equal("C", vary["minimum"]!["unit"]!.GetValue<string>());
        Assert.Equal(150, vary["maximum"]!["value"]!.GetValue<double>());
        var target = spec["target"]!;
        Assert.Equal(stream, target["stream"]!.GetValue<string>());
        Assert.Equal("moleFraction", target["property"]!.GetValue<string>());
        Assert.Equal("toluene", target["component"]!.GetValue<string>());
        Assert.Equal(0.4, target["value"]!.GetValue<double>());

        // A unit's property: the component goes, and the value is given afresh in the new dimension.
        cut.Find("[data-testid=design-spec-0-target-kind]").Change("unit");
        target = state.DesignSpecs[0]["target"]!;
        Assert.Null(target["stream"]);
        Assert.Null(target["component"]);
        Assert.Null(target["value"]);
        Assert.Equal("duty", target["property"]!.GetValue<string>());

        cut.Find("[data-testid=design-spec-0-remove]").Click();
        Assert.Empty(state.DesignSpecs);
        Assert.DoesNotContain("designSpecs", state.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_design_specification_issue_is_shown_on_its_card()
    {
        state.AddDesignSpec();
        state.AddDesignSpec();
        var cut = RenderPanel(null,
            new ValidationIssue("$.designSpecs[1].vary.minimum", "is required"),
            new ValidationIssue("$.solver.tolerance", "must be > 0"));

        Assert.Equal("vary.minimum: is required", cut.Find("[data-testid=design-spec-1-issue]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=design-spec-0-issue]"));
        Assert.Equal("must be > 0", cut.Find("[data-testid=solver-issue]").TextContent);
        Assert.Equal(["DS1", "DS2"], state.DesignSpecs.Select(d => d["id"]!.GetValue<string>()));
    }
}
