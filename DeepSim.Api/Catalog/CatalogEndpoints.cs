using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using DeepSim.Engine.Components;
using DeepSim.Engine.Flowsheets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Api.Catalog;

/// <summary>A database compound, in SI units; <c>NormalBoilingPointK</c> is null where the database has none.</summary>
public sealed record ComponentItem(
    string Name, string Formula, string Cas, double MolarMassKgPerMol, double? NormalBoilingPointK,
    double CriticalTemperatureK, double CriticalPressurePa, double AcentricFactor);

/// <summary>A unit type with the ports it connects by; a port "*" means any number of ports with names of your choice.</summary>
public sealed record UnitTypeItem(string Type, IReadOnlyList<string> Inlets, IReadOnlyList<string> Outlets);

/// <summary>
/// The reference data a flowsheet is drawn from, read from the engine itself (its compound database, the unit types and
/// ports its reader accepts, its property packages), so the web palette never carries a copy that can drift.
/// </summary>
public static class CatalogEndpoints
{
    public static IEndpointRouteBuilder MapCatalogEndpoints(this IEndpointRouteBuilder routes)
    {
        // Engine reference data, the same for every tenant: any caller with credentials may read it.
        var group = routes.MapGroup("/api/v1/catalog").WithTags("Catalog");
        group.MapGet("/components", Components).WithName("catalog.components.list")
            .WithSummary("Search the compound database by name, formula or CAS number (case-insensitive; exact, then prefix, then contains matches; paged)")
            .RequirePermission(Permission.Authenticated);
        group.MapGet("/unit-types", UnitTypes).WithName("catalog.unitTypes.list")
            .WithSummary("Every unit type a flowsheet may use, with its inlet and outlet ports (\"*\" = any number of named ports)")
            .RequirePermission(Permission.Authenticated);
        group.MapGet("/property-packages", Packages).WithName("catalog.propertyPackages.list")
            .WithSummary("The property packages and the options each takes (docs/flowsheet-format.md, \"Property package\")")
            .RequirePermission(Permission.Authenticated);
        return routes;
    }

    public static Ok<Page<ComponentItem>> Components(string? search, int? page, int? pageSize)
    {
        var paging = PageRequest.From(page, pageSize);
        var matches = Search(Selectable, search);
        var items = matches.Skip(paging.Offset).Take(paging.PageSize).Select(ToItem).ToList();
        return TypedResults.Ok(new Page<ComponentItem>(items, paging.PageNumber, paging.PageSize, matches.Count));
    }

    /// <summary>
    /// The compounds a flowsheet can name: the database lists two compounds twice (ChemSep's two data sets for benzoic
    /// acid and cumene hydroperoxide) and the engine resolves a name to the first, so the second is not offered.
    /// </summary>
    internal static IReadOnlyList<Component> Selectable { get; } =
        ComponentDatabase.Default.All.Where(c => ReferenceEquals(ComponentDatabase.Default.Find(c.Name), c)).ToList();

    /// <summary>Exact matches of the name, formula or CAS number first, then prefix matches, then contains; by name within each.</summary>
    internal static IReadOnlyList<Component> Search(IReadOnlyList<Component> all, string? search)
    {
        var query = search?.Trim() ?? "";
        if (query.Length == 0)
        {
            return all.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase).ToList();
        }
        return all.Select(c => (Component: c, Rank: Rank(c, query)))
            .Where(m => m.Rank is not null)
            .OrderBy(m => m.Rank).ThenBy(m => m.Component.Name, StringComparer.OrdinalIgnoreCase)
            .Select(m => m.Component).ToList();
    }

    private static int? Rank(Component component, string query)
    {
        int? best = null;
        foreach (var field in new[] { component.Name, component.Formula, component.Cas })
        {
            int? rank = field.Equals(query, StringComparison.OrdinalIgnoreCase) ? 0
                : field.StartsWith(query, StringComparison.OrdinalIgnoreCase) ? 1
                : field.Contains(query, StringComparison.OrdinalIgnoreCase) ? 2
                : null;
            if (rank is not null && (best is null || rank < best))
            {
                best = rank;
            }
        }
        return best;
    }

    internal static ComponentItem ToItem(Component c) => new(
        c.Name, c.Formula, c.Cas, c.MolarMass, double.IsNaN(c.NormalBoilingPointK) ? null : c.NormalBoilingPointK,
        c.CriticalTemperatureK, c.CriticalPressurePa, c.AcentricFactor);

    public static Ok<IReadOnlyList<UnitTypeItem>> UnitTypes() => TypedResults.Ok<IReadOnlyList<UnitTypeItem>>(
        FlowsheetReader.UnitTypeNames.Select(type =>
        {
            var ports = FlowsheetReader.PortsOf(type)!;
            return new UnitTypeItem(type, ports.Inlets, ports.Outlets);
        }).ToList());

    public static Ok<IReadOnlyList<PropertyPackageItem>> Packages() => TypedResults.Ok(PropertyPackageCatalog.All);
}
