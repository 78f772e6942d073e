namespace DeepSim.Web.Assistant;

public static class AssistantExtensions
{
    /// <summary>
    /// The designer's assistant: its options, and the two HTTP clients it uses without the standard resilience handler —
    /// to the Api's /mcp (run_flowsheet waits up to 60 s, past that handler's 30 s budget, and a retried POST could apply
    /// an edit twice) and to the model (an answer may take minutes; the OpenAI client retries on its own).
    /// </summary>
    public static IHostApplicationBuilder AddAssistant(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<AssistantOptions>(builder.Configuration.GetSection(AssistantOptions.Section));
        // RemoveAllResilienceHandlers is marked for evaluation (EXTEXP0001) in 10.x; it is the documented way to opt one client
        // out of ConfigureHttpClientDefaults' handler.
#pragma warning disable EXTEXP0001
        builder.Services.AddHttpClient(AssistantChat.McpHttpClientName).RemoveAllResilienceHandlers();
        // No HttpClient timeout: the OpenAI client's own NetworkTimeout (Assistant:ModelTimeoutSeconds) bounds each call.
        builder.Services.AddHttpClient(AssistantChat.ModelHttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        return builder;
    }
}
