using System.Net.Http.Headers;

namespace DeepSim.Web.Services;

/// <summary>
/// Sets the person's current access token (refreshed when due) on every request, for clients outside Kiota (the
/// assistant's MCP client). Built per circuit around a pooled handler: handlers the factory builds live in a scope of
/// their own and could not see this person's session.
/// </summary>
internal sealed class ApiTokenHandler(DeepSimApi api, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await api.AccessTokenAsync(cancellationToken));
        return await base.SendAsync(request, cancellationToken);
    }
}
