using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace DeepSim.Deploy.Tests;

/// <summary>A node of a parsed YAML document, with the path it was reached by for failure messages.</summary>
internal sealed class Yaml(object? value, string path)
{
    public string Path { get; } = path;

    public bool Exists => value is not null;

    public Yaml this[string key] =>
        new(value is IDictionary<object, object> map && map.TryGetValue(key, out var child) ? child : null, $"{Path}.{key}");

    public string? Text => value as string;

    public IReadOnlyList<Yaml> Items =>
        value is IList<object> list ? list.Select((item, index) => new Yaml(item, $"{Path}[{index}]")).ToList() : [];

    public IEnumerable<string> Keys =>
        value is IDictionary<object, object> map ? map.Keys.Select(key => (string)key) : [];

    public string Required => Text ?? throw new Xunit.Sdk.XunitException($"{Path} is missing or not a scalar");
}

/// <summary>One Kubernetes object: the file it is in and its root node.</summary>
internal sealed record KubernetesObject(string File, Yaml Root)
{
    public string Kind => Root["kind"].Text ?? "";

    public string Name => Root["metadata"]["name"].Text ?? "";

    /// <summary>The one container of a Deployment's or Job's pod template.</summary>
    public Yaml Container => Root["spec"]["template"]["spec"]["containers"].Items.Single();

    public IReadOnlyList<Yaml> Env => Container["env"].Items;

    public IReadOnlySet<string> EnvNames => Env.Select(variable => variable["name"].Required).ToHashSet(StringComparer.Ordinal);

    public Yaml EnvVar(string name) =>
        Env.SingleOrDefault(variable => variable["name"].Text == name) ?? throw new Xunit.Sdk.XunitException($"{File}: {Name} has no env {name}");

    /// <summary>A port given as a number or as the name of one of the container's ports.</summary>
    public int ResolvePort(Yaml port)
    {
        var text = port.Required;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }
        var named = Container["ports"].Items.SingleOrDefault(candidate => candidate["name"].Text == text)
            ?? throw new Xunit.Sdk.XunitException($"{port.Path}: no container port named {text}");
        return int.Parse(named["containerPort"].Required, CultureInfo.InvariantCulture);
    }
}

/// <summary>Every YAML document under deploy/kubernetes.</summary>
internal sealed class KubernetesManifests
{
    private KubernetesManifests(IReadOnlyList<string> files, IReadOnlyList<KubernetesObject> objects)
    {
        Files = files;
        Objects = objects;
    }

    public IReadOnlyList<string> Files { get; }

    public IReadOnlyList<KubernetesObject> Objects { get; }

    public static KubernetesManifests Load(string folder)
    {
        var deserializer = new DeserializerBuilder().Build();
        var files = Directory.EnumerateFiles(folder).Select(Path.GetFileName).Select(name => name!).Order(StringComparer.Ordinal).ToList();
        var objects = new List<KubernetesObject>();
        foreach (var file in files.Where(file => file.EndsWith(".yaml", StringComparison.Ordinal) || file.EndsWith(".yml", StringComparison.Ordinal)))
        {
            using var reader = new StringReader(File.ReadAllText(Path.Combine(folder, file)));
            var parser = new Parser(reader);
            parser.Consume<StreamStart>();
            var index = 0;
            while (parser.Accept<DocumentStart>(out _))
            {
                var document = deserializer.Deserialize<object?>(parser);
                if (document is not null)
                {
                    objects.Add(new KubernetesObject(file, new Yaml(document, $"{file}#{index}")));
                }
                index++;
            }
        }
        return new KubernetesManifests(files, objects);
    }

    public IEnumerable<KubernetesObject> OfKind(string kind) => Objects.Where(candidate => candidate.Kind == kind);

    public KubernetesObject Single(string kind, string name) =>
        Objects.SingleOrDefault(candidate => candidate.Kind == kind && candidate.Name == name)
        ?? throw new Xunit.Sdk.XunitException($"No {kind} named {name} under deploy/kubernetes; there are {string.Join(", ", Objects.Select(o => $"{o.Kind}/{o.Name}"))}");
}
