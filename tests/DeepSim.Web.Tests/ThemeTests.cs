using DeepSim.Web.Components.Layout;

namespace DeepSim.Web.Tests;

public class ThemeTests
{
    [Fact]
    public void The_theme_sets_the_brand_colour() =>
        Assert.Equal("#12344d", DeepSimTheme.Theme.PaletteLight.Primary.ToString(MudBlazor.Utilities.MudColorOutputFormats.Hex));
}
