namespace DeepSim.AppHost.Tests;

public class ResourceNameTests
{
    [Fact]
    public void Database_name_is_the_connection_string_key()
    {
        Assert.Equal("deepsimdb", DeepSim.ServiceDefaults.ResourceNames.Database);
    }
}
