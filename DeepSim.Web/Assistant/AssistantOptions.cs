namespace DeepSim.Web.Assistant;

/// <summary>
/// The model behind the designer's assistant (configuration section <c>Assistant</c>): any OpenAI-compatible chat
/// completions endpoint. The assistant is on exactly when <see cref="Endpoint"/> is set.
/// </summary>
public sealed class AssistantOptions
{
    public const string Section = "Assistant";

    /// <summary>The API's base URL, the part before <c>/chat/completions</c>: e.g. <c>https://api.openai.com/v1</c>, <c>http://localhost:11434/v1</c>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The key sent as a bearer token; local servers that take none may leave it empty.</summary>
    public string? ApiKey { get; set; }

    public string Model { get; set; } = "gpt-4o-mini";

    /// <summary>Model round trips that may call tools, per message the person sends; then the model must answer.</summary>
    public int MaxToolRounds { get; set; } = 8;

    /// <summary>How long one model call may take.</summary>
    public int ModelTimeoutSeconds { get; set; } = 120;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Endpoint);

    /// <summary>The endpoint as an absolute http(s) URL, or null when it is not one.</summary>
    public Uri? EndpointUri =>
        Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null;
}
