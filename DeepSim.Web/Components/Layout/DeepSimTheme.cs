using MudBlazor;

namespace DeepSim.Web.Components.Layout;

/// <summary>The app's colours and type: one place, so pages never set their own.</summary>
public static class DeepSimTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#12344d",
            Secondary = "#1f7a8c",
            AppbarBackground = "#12344d",
            Background = "#f6f8fa",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"] },
        },
    };
}
