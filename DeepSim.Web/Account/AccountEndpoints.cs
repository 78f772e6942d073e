using DeepSim.Web.Services;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace DeepSim.Web.Account;

/// <summary>Plain HTTP endpoints of the account area (forms post here; antiforgery checked on each).</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/account/signout", SignOutAsync);
        return routes;
    }

    private static async Task<IResult> SignOutAsync(HttpContext http, IAntiforgery antiforgery, DeepSimApi api, WebSessionStore sessions)
    {
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return Results.BadRequest();
        }
        if (http.User.FindFirst(WebClaims.SessionId)?.Value is { } id)
        {
            // Not api.Client: it reads the circuit's authentication state, which a plain endpoint does not have (a 500).
            if (await sessions.GetAsync(id, http.RequestAborted) is { } session)
            {
                try
                {
                    await api.ForToken(session.AccessToken).Api.V1.Auth.Signout.PostAsync(cancellationToken: http.RequestAborted);
                }
                catch (ApiProblemException)
                {
                    // the Api already ended it (expired, revoked): signing out here still completes
                }
            }
            await sessions.RemoveAsync(id, http.RequestAborted);
        }
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return Results.LocalRedirect("/account/signin?signedOut=1");
    }
}
