using DeepSim.Web.ApiClient;
using DeepSim.Web.ApiClient.Models;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;

namespace DeepSim.Web.Services;

/// <summary>
/// The Api for the current person (request or circuit scope): <see cref="Client"/> carries their access token,
/// refreshed shortly before it expires; <see cref="Anonymous"/> is for sign-up, sign-in and invitations.
/// </summary>
public sealed class DeepSimApi : IDisposable
{
    public const string HttpClientName = "deepsim-api";
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromSeconds(60);

    private readonly AuthenticationStateProvider _authentication;
    private readonly WebSessionStore _sessions;
    private readonly NavigationManager _navigation;
    private readonly TimeProvider _time;
    private readonly IHttpContextAccessor _http;
    private bool _noSession;

    public DeepSimApi(IHttpClientFactory httpClients, AuthenticationStateProvider authentication, WebSessionStore sessions,
        NavigationManager navigation, TimeProvider time, IHttpContextAccessor http)
    {
        _http = http;
        _httpClients = httpClients;
        _authentication = authentication;
        _sessions = sessions;
        _navigation = navigation;
        _time = time;
        _anonymousAdapter = new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: httpClients.CreateClient(HttpClientName));
        Anonymous = new DeepSimApiClient(_anonymousAdapter);
        BearerAuthentication = new BaseBearerTokenAuthenticationProvider(new TokenProvider(this));
        _adapter = new HttpClientRequestAdapter(BearerAuthentication, httpClient: httpClients.CreateClient(HttpClientName));
        Client = new DeepSimApiClient(_adapter);
    }

    private readonly HttpClientRequestAdapter _adapter;
    private readonly HttpClientRequestAdapter _anonymousAdapter;

    public void Dispose()
    {
        _adapter.Dispose();
        _anonymousAdapter.Dispose();
    }

    /// <summary>
    /// A response body as JSON text, for free-form documents the generated models cannot hold (a study table's rows are
    /// arrays of mixed primitives, which Kiota's untyped nodes do not deserialize).
    /// </summary>
    public Task<string> JsonAsync(Func<DeepSimApiClient, Microsoft.Kiota.Abstractions.RequestInformation> request, CancellationToken ct = default) =>
        CallAsync(async c =>
        {
            var info = request(c);
            info.Headers.TryAdd("Accept", "application/json");
            await using var stream = await _adapter.SendPrimitiveAsync<Stream>(info, cancellationToken: ct);
            using var reader = new StreamReader(stream ?? Stream.Null);
            return await reader.ReadToEndAsync(ct);
        });

    public DeepSimApiClient Client { get; }

    /// <summary>Sets this person's access token (refreshed when due) on a Kiota request: the Api's and Analytics' clients share it.</summary>
    internal IAuthenticationProvider BearerAuthentication { get; }

    private readonly IHttpClientFactory _httpClients;

    /// <summary>A client for a token just issued (at sign-in, before the session cookie exists).</summary>
    public DeepSimApiClient ForToken(string accessToken) => new(new HttpClientRequestAdapter(
        new BaseBearerTokenAuthenticationProvider(new FixedToken(accessToken)), httpClient: _httpClients.CreateClient(HttpClientName)));

    private sealed class FixedToken(string token) : IAccessTokenProvider
    {
        public AllowedHostsValidator AllowedHostsValidator { get; } = new();

        public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null,
            CancellationToken cancellationToken = default) => Task.FromResult(token);
    }

    public DeepSimApiClient Anonymous { get; }

    /// <summary>
    /// Calls the Api; a 401 (session revoked, tenant suspended, tokens expired) ends the web session and sends the person
    /// to sign-in, coming back here afterwards. Other refusals are thrown as <see cref="ApiProblemException"/>.
    /// </summary>
    public Task<T> CallAsync<T>(Func<DeepSimApiClient, Task<T>> call) => GuardAsync(() => call(Client));

    /// <summary>
    /// A call to a DeepSim service with this person's token (the Api, or Analytics through <see cref="DeepSimAnalytics"/>),
    /// as a page sees it: a 401 ends the session, and a service that does not answer is a 503 refusal.
    /// </summary>
    internal async Task<T> GuardAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ApiProblemException problem) when (problem.Status == System.Net.HttpStatusCode.Unauthorized)
        {
            await EndSessionAsync();
            var back = Uri.EscapeDataString("/" + _navigation.ToBaseRelativePath(_navigation.Uri));
            // No session at all means the person signed out (in another tab, or while this page was starting).
            var reason = _noSession ? "signedOut=1" : "reason=expired";
            _navigation.NavigateTo($"account/signin?returnUrl={back}&{reason}", forceLoad: true);
            throw;
        }
        catch (Exception ex) when (IsNoAnswer(ex))
        {
            // The service did not answer (down, slow past the resilience handler's limits, its circuit open): a refusal the
            // page shows like any other, never an exception that ends the person's circuit.
            throw Unavailable();
        }
    }

    /// <summary>How a call to a service that did not answer ends (down, slow past the resilience limits, circuit open).</summary>
    internal static bool IsNoAnswer(Exception ex) =>
        ex is HttpRequestException or TimeoutException or Polly.ExecutionRejectedException or TaskCanceledException;

    internal static ApiProblemException Unavailable() =>
        new(System.Net.HttpStatusCode.ServiceUnavailable, null, "Service unavailable",
            "The platform did not answer in time. Try again in a moment.", new Dictionary<string, string[]>(), null);

    public async Task CallAsync(Func<DeepSimApiClient, Task> call) =>
        await CallAsync(async c => { await call(c); return true; });

    private async Task EndSessionAsync()
    {
        if (await SessionIdAsync() is { } id)
        {
            await _sessions.RemoveAsync(id, CancellationToken.None);
        }
    }

    /// <summary>Changes this person's server-side session entry (after a profile edit the cookie follows it).</summary>
    public async Task UpdateSessionAsync(Func<ApiSession, ApiSession> change, CancellationToken ct = default)
    {
        if (await SessionIdAsync() is { } id && await _sessions.GetAsync(id, ct) is { } session)
        {
            await _sessions.SaveAsync(id, change(session), ct);
        }
    }

    private async Task<string?> SessionIdAsync()
    {
        // Components (prerendered or over a circuit) have an authentication state; plain endpoints (downloads,
        // sign-out) only the request's user.
        if (_http.HttpContext?.User is { Identity.IsAuthenticated: true } requestUser)
        {
            return requestUser.FindFirst(WebClaims.SessionId)?.Value;
        }
        var state = await _authentication.GetAuthenticationStateAsync();
        return state.User.FindFirst(WebClaims.SessionId)?.Value;
    }

    /// <summary>The person's access token, refreshed shortly before it expires; "" when they have no session (the Api then answers 401).</summary>
    internal async Task<string> AccessTokenAsync(CancellationToken ct)
    {
        var id = await SessionIdAsync();
        if (id is null || await _sessions.GetAsync(id, ct) is not { } session)
        {
            _noSession = true;
            return ""; // no token: the Api answers 401 and CallAsync sends the person to sign in
        }
        if (session.AccessTokenExpiresAt - RefreshMargin > _time.GetUtcNow() || session.RefreshToken is null)
        {
            return session.AccessToken;
        }
        var gate = _sessions.RefreshLock(id);
        await gate.WaitAsync(ct);
        try
        {
            // Another call may have refreshed while this one waited.
            session = await _sessions.GetAsync(id, ct);
            if (session is null)
            {
                return "";
            }
            if (session.AccessTokenExpiresAt - RefreshMargin > _time.GetUtcNow())
            {
                return session.AccessToken;
            }
            TokenResponse tokens;
            try
            {
                tokens = await Anonymous.Api.V1.Auth.Refresh.PostAsync(new RefreshRequest { RefreshToken = session.RefreshToken }, cancellationToken: ct)
                    ?? throw new ApiProblemException("The Api returned no tokens.");
            }
            catch (ApiProblemException problem) when (problem.Status is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
            {
                await _sessions.RemoveAsync(id, ct);
                return "";
            }
            var renewed = ToSession(tokens) with { DisplayName = session.DisplayName };
            await _sessions.SaveAsync(id, renewed, ct);
            return renewed.AccessToken;
        }
        finally
        {
            gate.Release();
        }
    }

    public static ApiSession ToSession(TokenResponse tokens) => new(
        tokens.AccessToken ?? throw new ApiProblemException("The Api returned no access token."),
        tokens.ExpiresAt ?? DateTimeOffset.UtcNow.AddMinutes(5), tokens.RefreshToken, tokens.TenantId, tokens.Role ?? "");

    private sealed class TokenProvider(DeepSimApi api) : IAccessTokenProvider
    {
        public AllowedHostsValidator AllowedHostsValidator { get; } = new();

        public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null,
            CancellationToken cancellationToken = default) => api.AccessTokenAsync(cancellationToken);
    }
}
