using DeepSim.Analytics.ClickHouse;

namespace DeepSim.Services.Tests;

public class ClickHouseConnectionTests
{
    [Fact]
    public void A_url_connection_string_gives_the_http_endpoint_and_defaults()
    {
        var connection = ClickHouseConnection.Parse("http://127.0.0.1:18123");
        Assert.Equal(new Uri("http://127.0.0.1:18123/"), connection.HttpEndpoint);
        Assert.Equal("deepsim", connection.Database);
        Assert.Equal("default", connection.Username);
    }

    [Fact]
    public void A_key_value_connection_string_is_read_field_by_field()
    {
        var connection = ClickHouseConnection.Parse("Host=localhost;Port=9999;Protocol=http;Database=events;Username=ingest;Password=s3cret");
        Assert.Equal(new Uri("http://localhost:9999/"), connection.HttpEndpoint);
        Assert.Equal("events", connection.Database);
        Assert.Equal("ingest", connection.Username);
        Assert.Equal("s3cret", connection.Password);
    }

    [Fact]
    public void Inserts_are_uncompressed_unless_the_connection_string_asks_for_gzip()
    {
        Assert.Equal(InsertCompression.None, ClickHouseConnection.Parse("http://127.0.0.1:18123").Compression);
        Assert.Equal(InsertCompression.None, ClickHouseConnection.Parse("Host=localhost;Port=8123").Compression);
        Assert.Equal(InsertCompression.Gzip, ClickHouseConnection.Parse("Host=localhost;Port=8123;Compression=GZip").Compression);
        Assert.Equal(InsertCompression.None, ClickHouseConnection.Parse("Host=localhost;Port=8123;Compression=none").Compression);
    }

    [Theory]
    [InlineData("Host=localhost;Port=8123;Compression=zstd")]
    [InlineData("Port=8123")]
    [InlineData("Host=localhost;Port=notaport")]
    [InlineData("Host=localhost;Port=70000")]
    public void A_malformed_connection_string_is_refused_with_the_configuration_key(string connectionString)
    {
        var error = Assert.Throws<FormatException>(() => ClickHouseConnection.Parse(connectionString));
        Assert.Contains("ConnectionStrings:clickhouse", error.Message, StringComparison.Ordinal);
    }
}
