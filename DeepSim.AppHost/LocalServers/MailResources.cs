using System.Globalization;
using DeepSim.AppHost.Hosting;

namespace DeepSim.AppHost.LocalServers;

/// <summary>The local mail catcher: npm maildev (tools/maildev) under DCP; its web page shows every mail the platform sent.</summary>
public sealed class LocalMailResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string SmtpEndpointName = "smtp";
    public const string WebEndpointName = "http";

    public EndpointReference Smtp => new(this, SmtpEndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"smtp://{Smtp.Property(EndpointProperty.Host)}:{Smtp.Property(EndpointProperty.Port)}");
}

public static class MailResourceExtensions
{
    /// <summary>
    /// Run mode only: maildev catches the platform's mail (nothing leaves the machine). A deployment has no catcher; it
    /// gives the Api its SMTP relay as <c>ConnectionStrings__mail</c>, and without one mail waits in the outbox. Null
    /// in publish mode.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString>? AddDeepSimMailCatcher(this IDistributedApplicationBuilder builder, string name)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return null;
        }
        var binary = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "tools", "maildev", "node_modules", ".bin", "maildev"));
        if (!File.Exists(binary))
        {
            throw new InvalidOperationException($"The mail catcher is not installed ({binary}): run ./deepsim up, which installs it (npm ci in tools/maildev).");
        }
        var state = Directory.CreateDirectory(Path.Combine(builder.StateDirectory(), name)).FullName;
        var smtp = builder.ChoosePort(name, 51025);
        var web = builder.ChoosePort(name + "-web", 51080);
        return builder.AddResource(new LocalMailResource(name, binary, state))
            .WithArgs("--smtp", smtp.ToString(CultureInfo.InvariantCulture), "--ip", "127.0.0.1",
                "--web", web.ToString(CultureInfo.InvariantCulture), "--web-ip", "127.0.0.1")
            .WithLocalEndpoint(LocalMailResource.SmtpEndpointName, smtp, "smtp")
            .WithLocalEndpoint(LocalMailResource.WebEndpointName, web, "http")
            .WithHttpHealthCheck("/api/healthz", endpointName: LocalMailResource.WebEndpointName)
            .WithRestartOnCrash()
            .WithIconName("Mail");
    }
}
