namespace DeepSim.Engine.Components;

/// <summary>
/// A temperature correlation in one of the DIPPR / ChemSep equation forms, evaluated exactly as published.
/// value(T) = <see cref="Scale"/> · f(T), where f is the published form with coefficients A, B, C, D, E.
/// The scale converts the source's basis to SI on a mole basis (ChemSep data are per kmol: J/kmol → J/mol is 1e-3,
/// kmol/m³ → mol/m³ is 1e3); user-defined correlations use scale 1 and must be given in SI mole units.
/// Accepted equation numbers (T in K, Tr = T / Tc):
///  1: A;  2: A + BT;  3: A + BT + CT²;  4: A + BT + CT² + DT³;  5 and 100: A + BT + CT² + DT³ + ET⁴;
///  10: exp(A − B/(T + C)) (ChemSep Antoine, natural log);  16: A + exp(B/T + C + DT + ET²);
///  101: exp(A + B/T + C ln T + D·T^E);  102: A·T^B / (1 + C/T + D/T²);  104: A + B/T + C/T³ + D/T⁸ + E/T⁹;
///  105: A / B^(1 + (1 − T/C)^D);  106: A·(1 − Tr)^(B + C·Tr + D·Tr² + E·Tr³) (needs Tc; 0 at and above Tc);
///  107 (Aly–Lee): A + B·[(C/T)/sinh(C/T)]² + D·[(E/T)/cosh(E/T)]².
/// Vapour pressures as published in the Antoine forms are converted on construction to SI (Pa, K):
/// <see cref="Antoine10"/> (log10 P = A − B/(T + C)) becomes equation 10 exactly, and <see cref="ExtendedAntoine"/>
/// (ln P = A + B/(T + C) + D·T + E·ln T + F·T^G, Aspen Plus PLXANT) is kept as <see cref="ExtendedAntoineForm"/>.
/// Immutable and thread-safe.
/// </summary>
public sealed class Correlation
{
    // Gauss–Legendre 8-point nodes/weights on [-1, 1]; exact to degree 15, so a 25 K panel of a smooth Cp is exact to rounding.
    private static readonly double[] GaussNodes =
    [
        -0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498,
        0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363,
    ];

    private static readonly double[] GaussWeights =
    [
        0.1012285362903763, 0.2223810344533745, 0.3137066959011648, 0.3626837833783620,
        0.3626837833783620, 0.3137066959011648, 0.2223810344533745, 0.1012285362903763,
    ];

    // Quadrature panel width for forms without a closed-form integral; Cp varies on a scale of hundreds of K.
    private const double QuadraturePanelK = 25.0;

    // Hard cap on the quadrature table so a pathological range cannot allocate without bound.
    private const int MaxQuadraturePanels = 4000;

    private static readonly int[] SupportedEquations = [1, 2, 3, 4, 5, 10, 16, 100, 101, 102, 104, 105, 106, 107];

    /// <summary>Equation code (not a DIPPR number) of the extended Antoine form in SI: ln P[Pa] = A + B/(T + C) + D·T + E·ln T + F·T^G, T in K.</summary>
    public const int ExtendedAntoineForm = 1010;

    // Celsius-to-kelvin offset: T[°C] = T[K] − 273.15.
    private const double CelsiusOffsetK = 273.15;

    private readonly double a, b, c, d, e, f, g;
    private readonly double[] coefficients;
    private double[]? cumulative;     // ∫ f dT from MinTemperatureK to each panel knot (numerical forms only)
    private double[]? cumulativeOverT; // ∫ f/T dT likewise
    private double panelWidth;

    private Correlation(int equation, double[] coefficients, double tMinK, double tMaxK, double scale, double criticalTemperatureK)
    {
        if (Array.IndexOf(SupportedEquations, equation) < 0 && equation != ExtendedAntoineForm)
        {
            throw new ArgumentException($"DIPPR equation {equation} is not supported; accepted: {string.Join(", ", SupportedEquations)}.", nameof(equation));
        }

        ArgumentNullException.ThrowIfNull(coefficients);
        var maxCoefficients = equation == ExtendedAntoineForm ? 7 : 5;
        if (coefficients.Length > maxCoefficients)
        {
            throw new ArgumentException(maxCoefficients == 7 ? "At most seven coefficients (A..G) are accepted." : "At most five coefficients (A..E) are accepted.", nameof(coefficients));
        }

        foreach (var value in coefficients)
        {
            if (!double.IsFinite(value))
            {
                throw new ArgumentException("Correlation coefficients must be finite numbers.", nameof(coefficients));
            }
        }

        if (!double.IsFinite(tMinK) || !double.IsFinite(tMaxK) || tMinK <= 0 || tMaxK < tMinK)
        {
            throw new ArgumentException($"Invalid temperature range [{tMinK}, {tMaxK}] K: need 0 < Tmin <= Tmax.", nameof(tMinK));
        }

        if (equation == 106 && !(criticalTemperatureK > 0))
        {
            throw new ArgumentException("DIPPR equation 106 needs the critical temperature.", nameof(criticalTemperatureK));
        }

        if (!double.IsFinite(scale) || scale == 0)
        {
            throw new ArgumentException("Scale must be a finite non-zero number.", nameof(scale));
        }

        Equation = equation;
        this.coefficients = new double[maxCoefficients];
        Array.Copy(coefficients, this.coefficients, coefficients.Length);
        a = this.coefficients[0];
        b = this.coefficients[1];
        c = this.coefficients[2];
        d = this.coefficients[3];
        e = this.coefficients[4];
        f = maxCoefficients > 5 ? this.coefficients[5] : 0;
        g = maxCoefficients > 6 ? this.coefficients[6] : 0;
        MinTemperatureK = tMinK;
        MaxTemperatureK = tMaxK;
        Scale = scale;
        CriticalTemperatureK = criticalTemperatureK;
    }

    /// <summary>DIPPR / ChemSep equation number, or <see cref="ExtendedAntoineForm"/>.</summary>
    public int Equation { get; }

    /// <summary>Coefficients A..E (A..G for the extended Antoine form) in SI (unused ones are 0).</summary>
    public IReadOnlyList<double> Coefficients => coefficients;

    public double MinTemperatureK { get; }

    public double MaxTemperatureK { get; }

    /// <summary>Multiplier from the published basis to SI mole basis.</summary>
    public double Scale { get; }

    /// <summary>Tc used by equation 106 (NaN otherwise).</summary>
    public double CriticalTemperatureK { get; }

    /// <summary>A user-defined correlation in SI mole units (no kmol scaling). See the class summary for the forms.</summary>
    public static Correlation FromDippr(int equationNumber, double[] coefficients, double tMinK, double tMaxK, double criticalTemperatureK = double.NaN)
        => new(equationNumber, coefficients, tMinK, tMaxK, 1.0, criticalTemperatureK);

    /// <summary>A correlation with the source's coefficients and a unit scale factor (used for the bundled ChemSep data).</summary>
    public static Correlation FromPublished(int equationNumber, double[] coefficients, double tMinK, double tMaxK, double scale, double criticalTemperatureK = double.NaN)
        => new(equationNumber, coefficients, tMinK, tMaxK, scale, criticalTemperatureK);

    /// <summary>
    /// A vapour pressure from base-10 Antoine constants as published: log10(P/unit) = A − B/(T + C), T in the stated unit,
    /// valid on [tMinK, tMaxK] (Tmin &lt; Tmax). Converted exactly to equation 10 in Pa and K:
    /// ln P[Pa] = (A·ln 10 + ln u) − B·ln 10 / (T[K] + C − offset), with u the unit in Pa and offset 273.15 for °C, else 0.
    /// </summary>
    public static Correlation Antoine10(double a, double b, double c, VaporPressureUnit pressureUnit, AntoineTemperatureUnit temperatureUnit, double tMinK, double tMaxK)
    {
        RequireOpenRange(tMinK, tMaxK);
        var ln10 = Math.Log(10);
        var offsetK = temperatureUnit == AntoineTemperatureUnit.Celsius ? CelsiusOffsetK : 0;
        return new(10, [(a * ln10) + Math.Log(PascalsPer(pressureUnit)), b * ln10, c - offsetK], tMinK, tMaxK, 1.0, double.NaN);
    }

    /// <summary>
    /// A vapour pressure in the extended Antoine form of Aspen Plus (PLXANT):
    /// ln(P/unit) = A + B/(T + C) + D·T + E·ln T + F·T^G, T in the stated unit, valid on [tMinK, tMaxK] (Tmin &lt; Tmax).
    /// Three to seven coefficients; missing ones are 0. As in Aspen, E, F and G need absolute temperature (K);
    /// in °C only A..D are accepted. Converted exactly to SI: A' = A + ln u − 273.15·D and C' = C − 273.15 for °C.
    /// </summary>
    public static Correlation ExtendedAntoine(double[] coefficients, VaporPressureUnit pressureUnit, AntoineTemperatureUnit temperatureUnit, double tMinK, double tMaxK)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        if (coefficients.Length is < 3 or > 7)
        {
            throw new ArgumentException("The extended Antoine form takes three to seven coefficients (A..G).", nameof(coefficients));
        }

        RequireOpenRange(tMinK, tMaxK);
        var si = new double[7];
        Array.Copy(coefficients, si, coefficients.Length);
        if (temperatureUnit == AntoineTemperatureUnit.Celsius)
        {
            if (si[4] != 0 || si[5] != 0)
            {
                throw new ArgumentException("E·ln T and F·T^G need absolute temperature: give the extended Antoine coefficients for T in K.", nameof(temperatureUnit));
            }

            si[0] -= CelsiusOffsetK * si[3];
            si[2] -= CelsiusOffsetK;
        }

        si[0] += Math.Log(PascalsPer(pressureUnit));
        return new(ExtendedAntoineForm, si, tMinK, tMaxK, 1.0, double.NaN);
    }

    /// <summary>One unit of the pressure in Pa (mmHg taken as the torr, 101 325/760 Pa, as Antoine tables use it).</summary>
    public static double PascalsPer(VaporPressureUnit unit) => unit switch
    {
        VaporPressureUnit.Pa => 1.0,
        VaporPressureUnit.KPa => 1e3,
        VaporPressureUnit.Bar => 1e5,
        VaporPressureUnit.MmHg => 101_325.0 / 760.0,
        VaporPressureUnit.Atm => 101_325.0,
        VaporPressureUnit.Psi => 6_894.757293168361,
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, "Unknown pressure unit."),
    };

    private static void RequireOpenRange(double tMinK, double tMaxK)
    {
        if (!double.IsFinite(tMinK) || !double.IsFinite(tMaxK) || tMinK <= 0 || tMaxK <= tMinK)
        {
            throw new ArgumentException($"Invalid temperature range [{tMinK}, {tMaxK}] K: need 0 < Tmin < Tmax.", nameof(tMinK));
        }
    }

    public static bool IsSupported(int equationNumber) => Array.IndexOf(SupportedEquations, equationNumber) >= 0;

    /// <summary>The value in SI mole units at T (evaluated as published, also outside [Tmin, Tmax]).</summary>
    public double Evaluate(double temperatureK) => Scale * Raw(temperatureK);

    private double Raw(double t)
    {
        switch (Equation)
        {
            case 1:
                return a;
            case 2:
                return a + (b * t);
            case 3:
                return a + (t * (b + (c * t)));
            case 4:
                return a + (t * (b + (t * (c + (d * t)))));
            case 5:
            case 100:
                return a + (t * (b + (t * (c + (t * (d + (e * t)))))));
            case 10:
                return Math.Exp(a - (b / (t + c)));
            case 16:
                return a + Math.Exp((b / t) + c + (d * t) + (e * t * t));
            case 101:
                return Math.Exp(a + (b / t) + (c * Math.Log(t)) + (d * Math.Pow(t, e)));
            case 102:
                return a * Math.Pow(t, b) / (1 + (c / t) + (d / (t * t)));
            case 104:
                {
                    var t3 = t * t * t;
                    var t8 = t3 * t3 * t * t;
                    return a + (b / t) + (c / t3) + (d / t8) + (e / (t8 * t));
                }

            case 105:
                return a / Math.Pow(b, 1 + Math.Pow(1 - (t / c), d));
            case 106:
                {
                    var tr = t / CriticalTemperatureK;
                    if (tr >= 1)
                    {
                        return 0; // latent heat and surface properties vanish at the critical point
                    }

                    return a * Math.Pow(1 - tr, b + (tr * (c + (tr * (d + (e * tr))))));
                }

            case ExtendedAntoineForm:
                return Math.Exp(a + (b / (t + c)) + (d * t) + (e * Math.Log(t)) + (f * Math.Pow(t, g)));
            case 107:
                {
                    var x = c / t;
                    var y = e / t;
                    var s = x / Math.Sinh(x);
                    var h = y / Math.Cosh(y);
                    return a + (b * s * s) + (d * h * h);
                }

            default:
                return double.NaN;
        }
    }

    /// <summary>∫ value dT from t1 to t2 (SI), analytic for polynomials and Aly–Lee, else tabulated Gauss–Legendre quadrature.</summary>
    public double Integral(double t1K, double t2K) => Scale * (RawIntegral(t2K, false) - RawIntegral(t1K, false));

    /// <summary>∫ value / T dT from t1 to t2 (SI); with a heat capacity this is the ideal-gas entropy change.</summary>
    public double IntegralOverT(double t1K, double t2K) => Scale * (RawIntegral(t2K, true) - RawIntegral(t1K, true));

    /// <summary>Both integrals from t1 to t2 in one pass (the ideal-gas enthalpy and entropy change for a heat capacity).</summary>
    public void Integrals(double t1K, double t2K, out double integral, out double integralOverT)
    {
        RawIntegrals(t1K, out var i1, out var s1);
        RawIntegrals(t2K, out var i2, out var s2);
        integral = Scale * (i2 - i1);
        integralOverT = Scale * (s2 - s1);
    }

    private double RawIntegral(double t, bool overT)
    {
        RawIntegrals(t, out var i, out var s);
        return overT ? s : i;
    }

    // Antiderivatives F(t) = ∫ f dt and G(t) = ∫ f/t dt (each up to its own constant, differences only).
    private void RawIntegrals(double t, out double f, out double g)
    {
        switch (Equation)
        {
            case 1:
            case 2:
            case 3:
            case 4:
            case 5:
            case 100:
                {
                    var cc = Equation >= 3 ? c : 0;
                    var dd = Equation >= 4 ? d : 0;
                    var ee = Equation is 5 or 100 ? e : 0;
                    var bb = Equation >= 2 ? b : 0;
                    f = t * (a + (t * ((bb / 2) + (t * ((cc / 3) + (t * ((dd / 4) + (ee * t / 5))))))));
                    g = (a * Math.Log(t)) + (t * (bb + (t * ((cc / 2) + (t * ((dd / 3) + (ee * t / 4)))))));
                    return;
                }

            case 107:
                {
                    // d/dT[C coth(C/T)] = (C/T)²/sinh²(C/T); d/dT[-E tanh(E/T)] = (E/T)²/cosh²(E/T).
                    var x = c / t;
                    var y = e / t;
                    var fx = c == 0 ? 0 : b * c / Math.Tanh(x);
                    var fy = e == 0 ? 0 : d * e * Math.Tanh(y);
                    f = (a * t) + fx - fy;
                    var gx = c == 0 ? 0 : b * ((x / Math.Tanh(x)) - LogSinh(x));
                    var gy = e == 0 ? 0 : d * ((y * Math.Tanh(y)) - LogCosh(y));
                    g = (a * Math.Log(t)) + gx - gy;
                    return;
                }

            default:
                NumericalIntegrals(t, out f, out g);
                return;
        }
    }

    private static double LogSinh(double x) => x > 20 ? x - Math.Log(2) + double.LogP1(-Math.Exp(-2 * x)) : Math.Log(Math.Sinh(x));

    private static double LogCosh(double x)
    {
        var ax = Math.Abs(x);
        return ax - Math.Log(2) + double.LogP1(Math.Exp(-2 * ax));
    }

    private void NumericalIntegrals(double t, out double f, out double g)
    {
        EnsureTable();
        var t0 = MinTemperatureK;
        var knots = cumulative!.Length;
        double baseF, baseG, start;
        if (t <= t0)
        {
            baseF = 0;
            baseG = 0;
            start = t0;
        }
        else
        {
            var k = (int)Math.Min(Math.Floor((t - t0) / panelWidth), knots - 1);
            baseF = cumulative[k];
            baseG = cumulativeOverT![k];
            start = t0 + (k * panelWidth);
        }

        QuadratureSplit(start, t, out var pf, out var pg);
        f = baseF + pf;
        g = baseG + pg;
    }

    // Beyond the tabulated range, integrate in panels no wider than the table's so accuracy holds; the count is bounded.
    private void QuadratureSplit(double from, double to, out double f, out double g)
    {
        var panels = (int)Math.Min(Math.Max(1, Math.Ceiling(Math.Abs(to - from) / panelWidth)), MaxQuadraturePanels);
        var step = (to - from) / panels;
        f = 0;
        g = 0;
        for (var k = 0; k < panels; k++)
        {
            Quadrature(from + (k * step), k == panels - 1 ? to : from + ((k + 1) * step), out var pf, out var pg);
            f += pf;
            g += pg;
        }
    }

    private void Quadrature(double from, double to, out double f, out double g)
    {
        var half = 0.5 * (to - from);
        var mid = 0.5 * (to + from);
        double sf = 0, sg = 0;
        for (var i = 0; i < GaussNodes.Length; i++)
        {
            var t = mid + (half * GaussNodes[i]);
            var v = Raw(t);
            sf += GaussWeights[i] * v;
            sg += GaussWeights[i] * v / t;
        }

        f = sf * half;
        g = sg * half;
    }

    private void EnsureTable()
    {
        if (Volatile.Read(ref cumulativeOverT) is not null)
        {
            return;
        }

        var span = Math.Max(MaxTemperatureK - MinTemperatureK, QuadraturePanelK);
        var panels = (int)Math.Min(Math.Ceiling(span / QuadraturePanelK), MaxQuadraturePanels);
        var width = span / panels;
        var cf = new double[panels + 1];
        var cg = new double[panels + 1];
        for (var k = 1; k <= panels; k++)
        {
            Quadrature(MinTemperatureK + ((k - 1) * width), MinTemperatureK + (k * width), out var pf, out var pg);
            cf[k] = cf[k - 1] + pf;
            cg[k] = cg[k - 1] + pg;
        }

        // Racing initialisers compute identical tables, so last-writer-wins is harmless; publish width and cumulative first.
        panelWidth = width;
        Volatile.Write(ref cumulative, cf);
        Volatile.Write(ref cumulativeOverT, cg);
    }
}

/// <summary>The pressure unit in which published Antoine constants are stated.</summary>
public enum VaporPressureUnit
{
    Pa,
    KPa,
    Bar,
    MmHg,
    Atm,
    Psi,
}

/// <summary>The temperature unit in which published Antoine constants are stated.</summary>
public enum AntoineTemperatureUnit
{
    Kelvin,
    Celsius,
}
