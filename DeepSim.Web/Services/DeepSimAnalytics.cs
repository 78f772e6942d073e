using DeepSim.Web.AnalyticsClient;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Http.HttpClientLibrary;

namespace DeepSim.Web.Services;

/// <summary>
/// DeepSim.Analytics for the current person (request or circuit scope), through the client generated from
/// contracts/DeepSim.Analytics.json. It carries the same access token as <see cref="DeepSimApi"/> (Analytics validates the
/// Api's tokens), and its calls fail as the Api's do: a 401 ends the session, no answer is a 503 refusal, and every other
/// refusal is an <see cref="ApiProblemException"/> with its fields (e.g. <c>query.from</c>).
/// </summary>
public sealed class DeepSimAnalytics : IDisposable
{
    public const string HttpClientName = "deepsim-analytics";

    private readonly DeepSimApi _api;
    private readonly HttpClientRequestAdapter _adapter;

    public DeepSimAnalytics(IHttpClientFactory httpClients, DeepSimApi api)
    {
        _api = api;
        _adapter = new HttpClientRequestAdapter(api.BearerAuthentication, httpClient: httpClients.CreateClient(HttpClientName));
        Client = new DeepSimAnalyticsClient(_adapter);
    }

    public DeepSimAnalyticsClient Client { get; }

    public void Dispose() => _adapter.Dispose();

    /// <summary>Calls Analytics as a page does (see <see cref="DeepSimApi.CallAsync{T}"/>).</summary>
    public Task<T> CallAsync<T>(Func<DeepSimAnalyticsClient, Task<T>> call) => _api.GuardAsync(() => call(Client));

    /// <summary>
    /// A CSV answer as it comes, for a download endpoint to stream on (no session handling: the endpoint answers a 401
    /// itself). Refusals throw <see cref="ApiProblemException"/>; a service that does not answer throws its own exception.
    /// </summary>
    public async Task<Stream?> CsvAsync(Func<DeepSimAnalyticsClient, RequestInformation> request, CancellationToken ct)
    {
        var info = request(Client);
        info.Headers.Remove("Accept");
        info.Headers.Add("Accept", "text/csv");
        return await _adapter.SendPrimitiveAsync<Stream>(info, cancellationToken: ct);
    }
}
