namespace DeepSim.ServiceDefaults;

/// <summary>
/// The one place resource names live. A name is also its configuration key:
/// <c>ConnectionStrings:{name}</c> for servers, <c>services:{name}:http:0</c> for services.
/// </summary>
public static class ResourceNames
{
    public const string Postgres = "postgres";
    public const string Database = "deepsimdb";
    /// <summary>
    /// The same database as the platform role: only the Api's operator endpoints connect with it. No hyphen: a published
    /// environment variable name cannot carry one (ConnectionStrings__name), and configuration would not find it again.
    /// </summary>
    public const string PlatformDatabase = "platformdb";
    public const string Redis = "redis";
    public const string ClickHouse = "clickhouse";
    public const string Kafka = "kafka";
    /// <summary>The SMTP server mail goes out through (locally the maildev catcher).</summary>
    public const string Mail = "mail";
    public const string Api = "api";
    /// <summary>The Api's schema migration step: runs once per start, before the Api, with the owner role.</summary>
    public const string ApiMigrations = "api-migrations";
    public const string Simulation = "simulation";
    public const string Analytics = "analytics";
    public const string Web = "web";
}
