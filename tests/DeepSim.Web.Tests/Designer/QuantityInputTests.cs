using Bunit;
using DeepSim.Web.Components.UI;
using DeepSim.Web.Units;
using MudBlazor.Services;

namespace DeepSim.Web.Tests.Designer;

public class QuantityInputTests : BunitContext, IAsyncLifetime
{
    // MudBlazor's services are only asynchronously disposable: dispose the context that way.
    public Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private readonly List<QuantityValue> emitted = [];

    public QuantityInputTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    private IRenderedComponent<QuantityInput> RenderTemperature(double? value, string? unit) =>
        Render<QuantityInput>(p => p
            .Add(x => x.Key, "outletTemperature")
            .Add(x => x.Dimension, Dimension.Temperature)
            .Add(x => x.Value, value)
            .Add(x => x.Unit, unit)
            .Add(x => x.DefaultValue, 100)
            .Add(x => x.DefaultUnit, "C")
            .Add(x => x.ValueChanged, (QuantityValue q) => emitted.Add(q)));

    [Fact]
    public void Switching_the_unit_converts_the_number_and_emits_the_same_quantity()
    {
        var cut = RenderTemperature(null, "C");
        cut.Find("[data-testid=field-outletTemperature]").Change("25");
        Assert.Equal(new QuantityValue(25, "C"), emitted.Single());

        cut.Find("[data-testid=unit-outletTemperature]").Change("K");

        Assert.Equal("298.15", cut.Find("[data-testid=field-outletTemperature]").GetAttribute("value"));
        Assert.Equal(new QuantityValue(298.15, "K"), emitted.Last());
    }

    [Fact]
    public void Shows_the_given_quantity_in_its_unit_and_the_default_as_placeholder()
    {
        var cut = RenderTemperature(300, "K");
        Assert.Equal("300", cut.Find("[data-testid=field-outletTemperature]").GetAttribute("value"));
        Assert.Equal("K", cut.Find("[data-testid=unit-outletTemperature]").GetAttribute("value"));

        var empty = RenderTemperature(null, null);
        Assert.Equal("100", empty.Find("[data-testid=field-outletTemperature]").GetAttribute("placeholder"));
        Assert.Equal("C", empty.Find("[data-testid=unit-outletTemperature]").GetAttribute("value"));
    }

    [Fact]
    public void Text_that_is_not_a_number_is_refused_with_a_message_and_not_emitted()
    {
        var cut = RenderTemperature(25, "C");
        cut.Find("[data-testid=field-outletTemperature]").Change("warm");

        Assert.Empty(emitted);
        Assert.Contains("not a number", cut.Find("[data-testid=error-outletTemperature]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plain_number_has_no_unit_selector_and_emits_an_empty_unit()
    {
        var cut = Render<QuantityInput>(p => p
            .Add(x => x.Key, "pressureRatio")
            .Add(x => x.Value, 3)
            .Add(x => x.ValueChanged, (QuantityValue q) => emitted.Add(q)));
        Assert.Empty(cut.FindAll("[data-testid=unit-pressureRatio]"));
        cut.Find("[data-testid=field-pressureRatio]").Change("1e1");
        Assert.Equal(new QuantityValue(10, ""), emitted.Single());
    }
}
