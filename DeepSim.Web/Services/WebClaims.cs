namespace DeepSim.Web.Services;

/// <summary>Claims in the web app's session cookie. The Api's tokens are not among them: they stay on the server.</summary>
public static class WebClaims
{
    public const string SessionId = "deepsim:sid";
    public const string UserId = "deepsim:uid";
    public const string TenantId = "deepsim:tid";
    public const string TenantName = "deepsim:tname";
    public const string Email = "deepsim:email";
    public const string Permission = "deepsim:perm";
}
