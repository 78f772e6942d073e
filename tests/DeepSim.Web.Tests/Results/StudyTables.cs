using DeepSim.Web.Components.Results;

namespace DeepSim.Web.Tests.Results;

/// <summary>Study tables in the shape GET /api/v1/studies/{id}/results answers (StudyEndpoints.TableAsync).</summary>
internal static class StudyTables
{
    public const string TemperaturePath = "$.units[1].spec.temperature.value";
    public const string PressurePath = "$.units[1].spec.pressure.value";

    // Point 2 failed (no result), point 3 ran but did not converge: both are gaps.
    public const string OneInput = """
        {"columns":["point","$.units[1].spec.temperature.value","status","converged","V.temperatureK","V.pressurePa","V.vaporFraction","V.molarFlowMolPerS"],
         "rows":[
           [0,360,"completed",true,360,101325,0.1,2.0],
           [1,365,"completed",true,365,101325,0.3,6.0],
           [2,370,"failed",null,null,null,null,null],
           [3,375,"completed",false,375,101325,0.8,20.0],
           [4,380,"completed",true,380,101325,1.0,27.7]]}
        """;

    // First parameter slowest, as StudyGrid.Points makes them; point (365, 2 bar) failed.
    public const string TwoInputs = """
        {"columns":["point","$.units[1].spec.temperature.value","$.units[1].spec.pressure.value","status","converged","V.vaporFraction","V.temperatureK"],
         "rows":[
           [0,360,100000,"completed",true,0.2,360],
           [1,360,200000,"completed",true,0.0,360],
           [2,365,100000,"completed",true,0.4,365],
           [3,365,200000,"failed",null,null,null],
           [4,370,100000,"completed",true,0.7,370],
           [5,370,200000,"completed",true,0.1,370]]}
        """;

    public static StudyTableData Load(string json) => StudyTableData.Parse(json);
}
