using DeepSim.ServiceDefaults;

namespace DeepSim.Deploy.Tests;

/// <summary>deploy/kubernetes against the AppHost's manifest: same services, same setting names, one port, the same boundaries.</summary>
[Collection(PublishedManifestsDefinition.Name)]
public sealed class KubernetesManifestTests(PublishedManifests published)
{
    private const string SecretName = "deepsim-secrets";

    // The settings a service cannot run correctly without; the rest of a manifest's env is Aspire's plumbing
    // (OTEL_*, REDIS_HOST, API_HTTP…) that the services do not read.
    private static readonly string[] SettingPrefixes = ["ConnectionStrings__", "services__", "Auth__", "Setup__"];

    private readonly KubernetesManifests kubernetes = KubernetesManifests.Load(Repository.KubernetesFolder);

    private static bool IsSetting(string name) => SettingPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal));

    private KubernetesObject WorkloadFor(string service) => service == ResourceNames.ApiMigrations
        ? kubernetes.Single("Job", service)
        : kubernetes.Single("Deployment", service);

    [Fact]
    public void The_kubernetes_manifests_match_the_apphost()
    {
        // The Kafka publish has every setting the default one has, plus the optional Kafka strings.
        var full = published.WithKafka;
        var projects = full.ProjectNames.ToList();
        Assert.NotEmpty(projects);
        Assert.Equal(projects.Order(), kubernetes.OfKind("Deployment").Concat(kubernetes.OfKind("Job")).Select(workload => workload.Name).Order());
        foreach (var service in projects)
        {
            var workload = WorkloadFor(service);
            var expected = full.Env(service).Keys.Where(IsSetting).ToHashSet(StringComparer.Ordinal);
            var actual = workload.EnvNames.Where(IsSetting).ToHashSet(StringComparer.Ordinal);
            Assert.True(expected.IsSubsetOf(actual), $"{workload.File}: {service} lacks {string.Join(", ", expected.Except(actual))}");
            // And nothing the AppHost does not give: a setting only here is stale or a leak (a worker with the database).
            Assert.True(actual.IsSubsetOf(expected), $"{workload.File}: {service} has {string.Join(", ", actual.Except(expected))}, which the AppHost does not give it");

            // A setting only in the Kafka publish must be optional here, or every service would need Kafka.
            var defaults = published.Default.Env(service).Keys.ToHashSet(StringComparer.Ordinal);
            foreach (var optional in expected.Except(defaults))
            {
                Assert.True(workload.EnvVar(optional)["valueFrom"]["secretKeyRef"]["optional"].Text == "true",
                    $"{workload.File}: {service}'s {optional} is only set when configured, so its secretKeyRef must be optional");
            }
        }
        foreach (var service in projects.Where(service => service != ResourceNames.ApiMigrations))
        {
            AssertOnePort(service);
        }
        var migrations = WorkloadFor(ResourceNames.ApiMigrations);
        var manifestArgs = full.Resource(ResourceNames.ApiMigrations)["args"]!.AsArray().Select(arg => arg!.GetValue<string>());
        Assert.Equal(manifestArgs, migrations.Container["args"].Items.Select(arg => arg.Required));
        Assert.Equal(ImageRepository(WorkloadFor(ResourceNames.Api)), ImageRepository(migrations));
        Assert.Equal("deepsimdb-owner-connection-string",
            migrations.EnvVar($"ConnectionStrings__{ResourceNames.Database}")["valueFrom"]["secretKeyRef"]["key"].Text);
        Assert.Equal("deepsimdb-connection-string",
            WorkloadFor(ResourceNames.Api).EnvVar($"ConnectionStrings__{ResourceNames.Database}")["valueFrom"]["secretKeyRef"]["key"].Text);
        Assert.Equal("platformdb-connection-string",
            WorkloadFor(ResourceNames.Api).EnvVar($"ConnectionStrings__{ResourceNames.PlatformDatabase}")["valueFrom"]["secretKeyRef"]["key"].Text);
    }

    [Fact]
    public void Services_find_the_api_at_its_kubernetes_service()
    {
        var apiService = kubernetes.Single("Service", ResourceNames.Api);
        var port = apiService.Root["spec"]["ports"].Items.Single()["port"].Required;
        foreach (var service in published.Default.ProjectNames.Where(name => published.Default.Env(name).ContainsKey("services__api__http__0")))
        {
            Assert.Equal($"http://{ResourceNames.Api}:{port}", WorkloadFor(service).EnvVar("services__api__http__0")["value"].Text);
        }
    }

    [Fact]
    public void The_simulation_deployment_gets_no_database_string_and_no_signing_key()
    {
        var workers = WorkloadFor(ResourceNames.Simulation);
        Assert.DoesNotContain($"ConnectionStrings__{ResourceNames.Database}", workers.EnvNames);
        string[] forbiddenKeys = ["deepsimdb-connection-string", "deepsimdb-owner-connection-string", "platformdb-connection-string"];
        var keys = workers.Env.Select(variable => variable["valueFrom"]["secretKeyRef"]["key"].Text).OfType<string>().ToList();
        Assert.Empty(keys.Intersect(forbiddenKeys));
        Assert.False(workers.Container["envFrom"].Exists, "envFrom would hand the worker the whole Secret");
    }

    [Fact]
    public void The_worker_pool_scales_on_cpu_and_on_queue_depth()
    {
        var hpa = kubernetes.OfKind("HorizontalPodAutoscaler").SingleOrDefault(candidate =>
            candidate.Root["spec"]["scaleTargetRef"]["kind"].Text == "Deployment" && candidate.Root["spec"]["scaleTargetRef"]["name"].Text == ResourceNames.Simulation);
        Assert.True(hpa is not null, "no HorizontalPodAutoscaler targets the simulation Deployment");
        Assert.Equal("autoscaling/v2", hpa.Root["apiVersion"].Text);
        var metrics = hpa.Root["spec"]["metrics"].Items;
        Assert.Contains(metrics, metric => metric["type"].Text == "Resource" && metric["resource"]["name"].Text == "cpu");
        Assert.Contains(metrics, metric =>
            metric["type"].Text is "External" && metric["external"]["metric"]["name"].Text == "deepsim_runs_queued"
            || metric["type"].Text is "Pods" && metric["pods"]["metric"]["name"].Text == "deepsim_runs_queued");
        // The HPA owns the replica count: a fixed one in the Deployment would be reset on every apply.
        Assert.False(WorkloadFor(ResourceNames.Simulation).Root["spec"]["replicas"].Exists, "the simulation Deployment sets replicas although an HPA scales it");
    }

    [Fact]
    public void Every_container_has_resource_requests_and_limits_and_a_deepsim_image()
    {
        foreach (var workload in kubernetes.OfKind("Deployment").Concat(kubernetes.OfKind("Job")))
        {
            foreach (var kind in new[] { "requests", "limits" })
            {
                var resources = workload.Container["resources"][kind];
                Assert.True(resources["cpu"].Exists && resources["memory"].Exists, $"{workload.File}: {workload.Name} has no cpu and memory {kind}");
            }
            var expectedImage = workload.Name == ResourceNames.ApiMigrations ? ResourceNames.Api : workload.Name;
            Assert.Equal($"deepsim/{expectedImage}", ImageRepository(workload));
        }
    }

    [Fact]
    public void Secret_references_name_keys_of_the_secret_template_which_is_never_applied()
    {
        var secret = kubernetes.Single("Secret", SecretName);
        // kustomize leaves local-config objects out of what it applies: the placeholders never reach a cluster.
        Assert.Equal("true", secret.Root["metadata"]["annotations"]["config.kubernetes.io/local-config"].Text);
        var keys = secret.Root["stringData"].Keys.ToHashSet(StringComparer.Ordinal);
        Assert.All(keys, key => Assert.Equal("REPLACE_ME", secret.Root["stringData"][key].Text));
        Assert.False(secret.Root["data"].Exists, "the template carries encoded data");

        var referenced = kubernetes.OfKind("Deployment").Concat(kubernetes.OfKind("Job"))
            .SelectMany(workload => workload.Env.Select(variable => (workload, reference: variable["valueFrom"]["secretKeyRef"])))
            .Where(item => item.reference.Exists)
            .ToList();
        Assert.NotEmpty(referenced);
        foreach (var (workload, reference) in referenced)
        {
            Assert.Equal(SecretName, reference["name"].Text);
            Assert.True(keys.Contains(reference["key"].Required), $"{workload.File}: {reference.Path} names key {reference["key"].Text}, which secret.yaml does not list");
        }
    }

    [Fact]
    public void The_kustomization_lists_every_file_in_the_folder()
    {
        var kustomization = kubernetes.Single("Kustomization", "");
        var listed = kustomization.Root["resources"].Items.Select(item => item.Required).ToList();
        var files = kubernetes.Files.Where(file => file != "kustomization.yaml").ToList();
        Assert.Equal(files.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.Equal(listed.Count, listed.Distinct(StringComparer.Ordinal).Count());
        Assert.All(kubernetes.Objects.Where(o => o.Kind is not "Kustomization" and not "Namespace"),
            o => Assert.Equal(kustomization.Root["namespace"].Text, o.Root["metadata"]["namespace"].Text));
    }

    private void AssertOnePort(string service)
    {
        var workload = WorkloadFor(service);
        var ports = workload.Container["ports"].Items;
        Assert.Single(ports);
        var containerPort = workload.ResolvePort(ports[0]["containerPort"]);
        // The AppHost tells the service its port through HTTP_PORTS; here it must be the container's.
        Assert.Equal(containerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), workload.EnvVar("HTTP_PORTS")["value"].Text);

        Assert.Equal(Extensions.HealthEndpointPath, workload.Container["readinessProbe"]["httpGet"]["path"].Text);
        Assert.Equal(Extensions.AlivenessEndpointPath, workload.Container["livenessProbe"]["httpGet"]["path"].Text);
        Assert.Equal(containerPort, workload.ResolvePort(workload.Container["readinessProbe"]["httpGet"]["port"]));
        Assert.Equal(containerPort, workload.ResolvePort(workload.Container["livenessProbe"]["httpGet"]["port"]));

        var kubeService = kubernetes.Single("Service", service);
        var servicePort = kubeService.Root["spec"]["ports"].Items.Single();
        Assert.Equal(containerPort, workload.ResolvePort(servicePort["targetPort"]));
        var selector = kubeService.Root["spec"]["selector"];
        var podLabels = workload.Root["spec"]["template"]["metadata"]["labels"];
        Assert.NotEmpty(selector.Keys);
        Assert.All(selector.Keys, key => Assert.Equal(selector[key].Text, podLabels[key].Text));
    }

    private static string ImageRepository(KubernetesObject workload)
    {
        var image = workload.Container["image"].Required;
        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? image[..colon] : image;
    }
}
