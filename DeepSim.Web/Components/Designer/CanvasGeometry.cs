using System.Globalization;

namespace DeepSim.Web.Components.Designer;

/// <summary>Sizes of the unit symbols, where their ports sit (inlets on the left edge, outlets on the right) and the streams' routes.</summary>
public static class CanvasGeometry
{
    /// <summary>A unit's drawn size; a mixer or splitter grows with its number of any-named ports.</summary>
    public static (double Width, double Height) Size(string type, int ports = 0) => type switch
    {
        "feed" or "product" => (72, 40),
        "mixer" or "splitter" => (56, Math.Max(64, 20 * (ports + 1))),
        "flash" => (60, 92),
        "threePhaseSeparator" => (104, 76),
        "shortcutColumn" or "column" => (56, 130),
        "conversionReactor" => (64, 96),
        "heatExchanger" => (84, 72),
        "componentSeparator" => (72, 72),
        "valve" => (56, 40),
        "compressor" or "expander" => (64, 56),
        _ => (56, 56),
    };

    /// <summary>Port k of n along the left (inlets) or right (outlets) edge of a unit.</summary>
    public static (double X, double Y) Port(UnitView unit, (double Width, double Height) size, int k, int n, bool outlet) =>
        (unit.X + (outlet ? size.Width : 0), unit.Y + size.Height * (k + 1) / (n + 1));

    /// <summary>
    /// An orthogonal route from an outlet (leaving right) to an inlet (entering from the left). A stream running
    /// backwards (a recycle) goes round below both units. Returns the SVG path and where its label goes.
    /// </summary>
    public static (string Path, double LabelX, double LabelY) Route((double X, double Y) a, (double X, double Y) b, double belowY)
    {
        const double Stub = 16;
        if (b.X - a.X >= 2 * Stub)
        {
            var midX = Math.Round((a.X + b.X) / 2);
            return ($"M {F(a.X)} {F(a.Y)} H {F(midX)} V {F(b.Y)} H {F(b.X)}", midX, Math.Abs(a.Y - b.Y) < 1 ? a.Y - 6 : (a.Y + b.Y) / 2);
        }
        var x1 = a.X + Stub;
        var x2 = b.X - Stub;
        return ($"M {F(a.X)} {F(a.Y)} H {F(x1)} V {F(belowY)} H {F(x2)} V {F(b.Y)} H {F(b.X)}", (x1 + x2) / 2, belowY - 6);
    }

    public static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}
