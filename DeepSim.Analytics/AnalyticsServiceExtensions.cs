using DeepSim.Analytics.ClickHouse;
using DeepSim.ServiceDefaults;

namespace DeepSim.Analytics;

public static class AnalyticsServiceExtensions
{
    public static IHostApplicationBuilder AddAnalyticsServices(this IHostApplicationBuilder builder)
    {
        var clickHouse = ClickHouseConnection.Parse(builder.Configuration.GetRequiredConnectionString(ResourceNames.ClickHouse));
        builder.Configuration.GetRequiredServiceUri(ResourceNames.Api);

        builder.Services.AddSingleton(clickHouse);
        // ClickHouse's HTTP interface is called directly: no retries on top, the callers decide.
        builder.Services.AddHttpClient(ClickHouseHealthCheck.HttpClientName);
        builder.Services.AddHealthChecks()
            .AddCheck<ClickHouseHealthCheck>(ResourceNames.ClickHouse, tags: ["ready"])
            .AddServiceCheck(ResourceNames.Api);
        return builder;
    }
}
