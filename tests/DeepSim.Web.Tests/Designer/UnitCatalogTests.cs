using DeepSim.Engine.Flowsheets;
using DeepSim.Web.Components.Designer;

namespace DeepSim.Web.Tests.Designer;

/// <summary>The palette's catalogue must match the engine's reader: same unit types, same ports, defaults it accepts.</summary>
public class UnitCatalogTests
{
    [Fact]
    public void Every_unit_type_of_the_engine_reader_is_in_the_catalogue_with_the_same_ports()
    {
        Assert.Equal(FlowsheetReader.UnitTypes.Keys.Order(StringComparer.Ordinal), UnitCatalog.All.Select(t => t.Type).Order(StringComparer.Ordinal));
        foreach (var (type, (inlets, outlets)) in FlowsheetReader.UnitTypes)
        {
            var info = UnitCatalog.Find(type)!;
            Assert.True(inlets.SequenceEqual(info.Inlets), $"{type} inlets: engine {string.Join(",", inlets)}, catalogue {string.Join(",", info.Inlets)}");
            Assert.True(outlets.SequenceEqual(info.Outlets), $"{type} outlets: engine {string.Join(",", outlets)}, catalogue {string.Join(",", info.Outlets)}");
        }
    }

    [Fact]
    public void Every_group_key_is_a_field_of_its_type_and_ids_have_no_dot()
    {
        foreach (var info in UnitCatalog.All)
        {
            Assert.DoesNotContain('.', info.IdPrefix);
            foreach (var group in info.Groups)
            {
                Assert.All(group.Keys, k => Assert.Equal(group.Name, info.Field(k)?.Group));
            }
        }
    }

    [Fact]
    public void The_property_packages_are_the_engine_packages() =>
        Assert.Equal(DefaultThermoCatalog.Instance.PackageNames.Order(StringComparer.Ordinal), UnitCatalog.PropertyPackages.Order(StringComparer.Ordinal));

    public static TheoryData<string> UnitTypes() => new(UnitCatalog.All.Select(t => t.Type).Where(t => t is not "feed" and not "product"));

    /// <summary>
    /// A unit placed from the palette, wired between default feeds and products, reads without a spec error in the
    /// engine. The reactors' reactions are the exception (the conversion reactor's placeholder, the CSTR's and PFR's
    /// missing ones): real chemistry is the user's.
    /// </summary>
    [Theory]
    [MemberData(nameof(UnitTypes))]
    public void A_freshly_placed_unit_has_a_spec_the_engine_accepts(string type)
    {
        var state = new DesignerState();
        state.SetComponents(["benzene", "toluene"]);
        var id = state.AddUnit(type, 200, 0);
        var (inlets, outlets) = state.Ports(id);
        foreach (var port in inlets)
        {
            var feed = state.AddUnit("feed", 0, 0);
            Assert.True(state.TryConnect($"{feed}.out", $"{id}.{port}", out var e), e);
        }
        foreach (var port in outlets)
        {
            var product = state.AddUnit("product", 400, 0);
            Assert.True(state.TryConnect($"{id}.{port}", $"{product}.in", out var e), e);
        }

        var result = FlowsheetReader.Read(state.ToJson(), DefaultThermoCatalog.Instance);

        var errors = result.Errors.Where(e => type is not ("conversionReactor" or "cstr" or "pfr") || !e.Path.StartsWith("$.units[0].spec.reactions", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Path}: {e.Message}")));
    }
}
