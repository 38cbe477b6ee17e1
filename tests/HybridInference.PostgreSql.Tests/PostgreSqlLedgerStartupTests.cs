using System.Globalization;
using System.Net;
using System.Net.Sockets;
using HybridInference.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HybridInference.PostgreSql.Tests;

/// <summary>
/// A connection string that cannot reach a database able to hold the ledger stops the host's start with an error naming
/// the configuration key and the server (host and port), never the password; a good one is migrated once, whoever starts.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlLedgerStartupTests(PostgreSqlServer server)
{
    private const string Key = "HybridInference:Observability:Ledger:ConnectionString";

    [Fact]
    public async Task HostStart_WithAnUnreachableServer_FailsNamingTheKeyAndHostAndPort_NotThePassword()
    {
        var port = ClosedPort();
        var connectionString = $"Host=127.0.0.1;Port={port};Database=app;Username=ledger;Password={server.Password};Timeout=5";
        var logs = new FakeLoggerProvider();
        using var host = BuildHost(connectionString, logs: logs);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(Key, error.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be reached", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Password, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(server.Password, string.Join("\n", logs.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_WithAnUnreachableServer_WithoutAHost_FailsWithTheSameTypedError()
    {
        var port = ClosedPort();
        using var host = BuildHost($"Host=127.0.0.1;Port={port};Database=app;Username=ledger;Password={server.Password}");

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<ICostLedger>());

        Assert.Contains($"{Key}: The cost ledger database 127.0.0.1:{port}/app cannot be reached", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Password, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_WithAWrongPassword_SaysTheLoginWasRefused_ShowingNeitherPassword()
    {
        const string Wrong = "wrong-password-4f1c9e";
        using var host = BuildHost(server.ConnectionString("postgres", Wrong));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(Key, error.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{server.Port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("refused the login", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Wrong, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(server.Password, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_WithADatabaseThatDoesNotExist_SaysSo()
    {
        using var host = BuildHost(server.ConnectionString("no_such_ledger"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains($"{Key}: The cost ledger database 127.0.0.1:{server.Port}/no_such_ledger does not exist", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Password=se;cret-9d2;Database=app")]
    [InlineData("Host=127.0.0.1;Port=not-a-port;Password=cret-9d2")]
    [InlineData("Database=app;Password=cret-9d2")]
    public async Task HostStart_WithAConnectionStringNpgsqlCannotRead_NamesTheKey_NeverEchoingIt(string connectionString)
    {
        using var host = BuildHost(connectionString);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains($"{Key}: The cost ledger's connection string", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("cret-9d2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_BoundFromAnotherSection_NamesThatSectionsKey()
    {
        using var host = BuildHost($"Host=127.0.0.1;Port={ClosedPort()};Database=app", section: "Costs:Ledger");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Costs:Ledger:ConnectionString: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_WithAGoodDatabase_CreatesTheSchema_AndTheLedgerWrites()
    {
        await using var store = new PostgreSqlLedgerStore(server);
        using var host = BuildHost(store.ConnectionString);

        await host.StartAsync();
        var listener = host.Services.GetServices<IRouteOutcomeListener>().Single();
        listener.OnRequestFinished(LedgerUnderTest.Record(1));
        await host.Services.GetRequiredService<ICostLedger>().FlushAsync();
        await host.StopAsync();

        Assert.Equal([1L], LedgerUnderTest.Seconds(store.Rows()));
        Assert.Equal([1], Versions(store));
    }

    [Fact]
    public async Task ReplicasStartingTogether_MigrateOnce_AndShareOneLedger()
    {
        await using var store = new PostgreSqlLedgerStore(server);
        var time = new FakeTimeProvider(LedgerUnderTest.Start);
        var setup = new LedgerSetup(100, TimeSpan.FromSeconds(1), 90, time, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        // Four replicas open the empty database at the same moment: the advisory lock lets one migrate, the others find it done.
        var replicas = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => store.Open(setup))));
        try
        {
            for (var i = 0; i < replicas.Length; i++)
            {
                replicas[i].OnRequestFinished(LedgerUnderTest.Record(i + 1));
                await replicas[i].FlushAsync();
            }

            Assert.Equal([1], Versions(store));

            // Every replica's summary counts every replica's requests.
            var summary = await replicas[0].SummarizeAsync(LedgerUnderTest.Start, LedgerUnderTest.Start.AddMinutes(1));
            Assert.Equal(4, summary.Requests);
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Open_AnExistingLedger_KeepsItsRecords_AndAppliesNothingTwice()
    {
        await using var store = new PostgreSqlLedgerStore(server);
        var setup = new LedgerSetup(100, TimeSpan.FromSeconds(1), 90, new FakeTimeProvider(LedgerUnderTest.At(2)), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await using (var first = store.Open(setup))
        {
            first.OnRequestFinished(LedgerUnderTest.Record(1));
        }

        await using (var second = store.Open(setup))
        {
            second.OnRequestFinished(LedgerUnderTest.Record(2));
        }

        Assert.Equal([1L, 2L], LedgerUnderTest.Seconds(store.Rows()));
        Assert.Equal([1], Versions(store));
    }

    [Fact]
    public void Options_Defaults_AreTheDocumentedOnes()
    {
        var options = new PostgreSqlCostLedgerOptions();

        Assert.Equal((string.Empty, 10_000, TimeSpan.FromSeconds(1)), (options.ConnectionString, options.QueueCapacity, options.FlushInterval));
    }

    [Fact]
    public async Task TypoInTheLedgerSection_StopsStartUp_NamingTheKeyAndTheNearestOne()
    {
        await using var store = new PostgreSqlLedgerStore(server);

        var error = Assert.Throws<OptionsValidationException>(() => LedgerHost.Create(store, "\"QueueCapacty\": 50,"));

        Assert.Contains(
            "HybridInference:Observability:Ledger:QueueCapacty is not a configuration key of HybridInference: nothing reads it. Did you mean HybridInference:Observability:Ledger:QueueCapacity?",
            error.Failures);
    }

    private static List<int> Versions(PostgreSqlLedgerStore store)
    {
        using var connection = new NpgsqlConnection(store.ConnectionString + ";Pooling=false");
        connection.Open();
        using var command = new NpgsqlCommand("SELECT version FROM cost_ledger_schema ORDER BY version", connection);
        using var reader = command.ExecuteReader();
        var versions = new List<int>();
        while (reader.Read())
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    /// <summary>A loopback port nothing listens on (taken, then released).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static IHost BuildHost(string connectionString, string section = "HybridInference:Observability:Ledger", FakeLoggerProvider? logs = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HybridInference:Local:Backends:0:Name"] = "local",
            ["HybridInference:Local:Backends:0:Provider"] = "vllm",
            ["HybridInference:Local:Backends:0:Model"] = "local-model",
            [section + ":ConnectionString"] = connectionString,
            [section + ":FlushInterval"] = TimeSpan.FromMinutes(10).ToString("c", CultureInfo.InvariantCulture),
        });
        builder.Services.AddHybridInference(builder.Configuration.GetSection("HybridInference"))
            .AddLocalBackend("local", _ => new FakeChatClient("local-model"))
            .AddPostgreSqlCostLedger(builder.Configuration.GetSection(section));
        return builder.Build();
    }
}
