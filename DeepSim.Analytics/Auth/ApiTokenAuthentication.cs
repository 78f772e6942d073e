using DeepSim.ServiceDefaults;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace DeepSim.Analytics.Auth;

/// <summary>
/// Validates the Api's access tokens with the public keys the Api publishes (ADR 0009): no shared secret, so nothing
/// here could mint a token. The discovery document and JWKS are fetched from the Api through service discovery.
/// </summary>
public static class ApiTokenAuthentication
{
    public const string BackchannelClientName = "api-jwks";

    // How often the JWKS is fetched even when every kid is known; far inside the Api's publish delay (one day).
    private static readonly TimeSpan AutomaticRefreshInterval = TimeSpan.FromHours(1);

    // A token with an unknown kid fetches the JWKS again at most this often.
    private static readonly TimeSpan UnknownKidRefreshInterval = TimeSpan.FromMinutes(1);

    public static IHostApplicationBuilder AddApiTokenAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Configuration.GetRequiredServiceUri(ResourceNames.Api);
        // The logical name: service discovery turns it into the Api's address (services:api:http:0).
        var metadata = new Uri("http://" + ResourceNames.Api + AccessTokens.DiscoveryPath);

        builder.Services.AddHttpClient(BackchannelClientName);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(options =>
            {
                options.MetadataAddress = metadata.ToString();
                // Plain http only where the Api's endpoint is http (locally, or inside the cluster network).
                options.RequireHttpsMetadata = metadata.Scheme == Uri.UriSchemeHttps;
                options.MapInboundClaims = false;
                options.AutomaticRefreshInterval = AutomaticRefreshInterval;
                options.RefreshInterval = UnknownKidRefreshInterval;
                options.RefreshOnIssuerKeyNotFound = true;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = AccessTokens.Issuer,
                    ValidAudience = AccessTokens.Audience,
                    ValidAlgorithms = [AccessTokens.Algorithm],
                    ClockSkew = AccessTokens.AllowedClockSkew,
                    RequireExpirationTime = true,
                    RequireSignedTokens = true,
                    TryAllIssuerSigningKeys = false,
                    NameClaimType = "sub",
                    RoleClaimType = "role",
                };
            });
        // The backchannel is a factory client so that service discovery (and the resilience defaults) apply to it.
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IHttpClientFactory>((options, clients) => options.Backchannel = clients.CreateClient(BackchannelClientName));
        builder.Services.AddAuthorization();
        return builder;
    }
}
