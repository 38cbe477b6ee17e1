using Microsoft.Extensions.Configuration;

namespace HybridInference.StandIn;

/// <summary>
/// The stand-in servers a sample needs: one for each lane whose endpoint the user did not give, with the settings
/// that point the first backend of that lane at it. Real endpoints, when given, are left alone.
/// </summary>
public sealed class StandInLanes : IAsyncDisposable
{
    /// <summary>The configuration prefix of the first local backend.</summary>
    public const string Local = "HybridInference:Local:Backends:0:";

    /// <summary>The configuration prefix of the first cloud backend.</summary>
    public const string Cloud = "HybridInference:Cloud:Backends:0:";

    private StandInLanes(SimulatedServer? local, SimulatedServer? cloud)
    {
        LocalServer = local;
        CloudServer = cloud;
        if (local is not null)
        {
            Settings[Local + "Endpoint"] = local.Endpoint.ToString();
        }

        if (cloud is not null)
        {
            Settings[Cloud + "Endpoint"] = cloud.Endpoint.ToString();
            Settings[Cloud + "ApiKey"] = "stand-in-key";
            Settings[Cloud + "AllowInsecureHttp"] = "true"; // Plain HTTP to a stand-in on 127.0.0.1 only.
        }
    }

    /// <summary>Gets the command-line switches the samples share: endpoints, providers, models and the cloud key of the first backends.</summary>
    public static IReadOnlyDictionary<string, string> Switches { get; } = new Dictionary<string, string>
    {
        ["--local-endpoint"] = Local + "Endpoint", ["--local-provider"] = Local + "Provider", ["--local-model"] = Local + "Model",
        ["--cloud-endpoint"] = Cloud + "Endpoint", ["--cloud-provider"] = Cloud + "Provider", ["--cloud-model"] = Cloud + "Model",
        ["--cloud-key"] = Cloud + "ApiKey",
    };

    /// <summary>Gets the local stand-in, or <see langword="null"/> when a local endpoint was given.</summary>
    public SimulatedServer? LocalServer { get; }

    /// <summary>Gets the cloud stand-in, or <see langword="null"/> when a cloud endpoint was given.</summary>
    public SimulatedServer? CloudServer { get; }

    /// <summary>Gets the configuration that points the lanes without a given endpoint at their stand-ins.</summary>
    public Dictionary<string, string?> Settings { get; } = [];

    /// <summary>
    /// Builds a sample's configuration, later sources winning: its <c>appsettings.json</c>, the stand-ins' endpoints,
    /// environment variables, then the command line with <paramref name="switches"/>.
    /// </summary>
    /// <param name="args">The command line.</param>
    /// <param name="switches">The command-line switches and the keys they set.</param>
    public IConfigurationRoot BuildConfiguration(string[] args, IDictionary<string, string> switches) =>
        new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json")
            .AddInMemoryCollection(Settings)
            .AddEnvironmentVariables()
            .AddCommandLine(args, switches)
            .Build();

    /// <summary>Starts a stand-in for each lane whose endpoint is not in <paramref name="given"/>.</summary>
    /// <param name="given">The user's configuration (environment and command line).</param>
    /// <param name="local">How the local stand-in behaves.</param>
    /// <param name="cloud">How the cloud stand-in behaves.</param>
    public static async Task<StandInLanes> StartAsync(Func<string, string?> given, ServerBehaviour local, ServerBehaviour cloud)
    {
        ArgumentNullException.ThrowIfNull(given);
        var localServer = given(Local + "Endpoint") is null ? await SimulatedServer.StartAsync(local) : null;
        var cloudServer = given(Cloud + "Endpoint") is null ? await SimulatedServer.StartAsync(cloud) : null;
        return new StandInLanes(localServer, cloudServer);
    }

    /// <summary>Stops the stand-ins.</summary>
    public async ValueTask DisposeAsync()
    {
        if (LocalServer is not null)
        {
            await LocalServer.DisposeAsync();
        }

        if (CloudServer is not null)
        {
            await CloudServer.DisposeAsync();
        }
    }
}
