using HybridInference.DependencyInjection;
using HybridInference.Refinement;
using HybridInference.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace HybridInference;

/// <summary>Makes the hybrid client's outbox of cloud refinements durable, in SQLite.</summary>
public static class SqliteOutboxServiceCollectionExtensions
{
    private const string DefaultKey = "HybridInference:Refinement:Outbox:Sqlite:DatabasePath";

    /// <summary>
    /// Keeps the refinements that wait for the cloud in a SQLite database instead of memory: each is written before
    /// the local answer it refines is returned, so none is lost when the process stops or the cloud is away for hours;
    /// the next process that opens the file sends what waits.
    /// </summary>
    /// <param name="builder">The hybrid client's builder, from <c>AddHybridInference</c>.</param>
    /// <param name="configure">Sets the options; <see cref="SqliteOutboxOptions.DatabasePath"/> is required.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static HybridInferenceBuilder AddSqliteOutbox(this HybridInferenceBuilder builder, Action<SqliteOutboxOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<SqliteOutboxOptions>().Configure(configure);
        return Register(builder, DefaultKey);
    }

    /// <summary>
    /// Keeps the refinements that wait for the cloud in a SQLite database configured by <paramref name="section"/>
    /// (usually <c>HybridInference:Refinement:Outbox:Sqlite</c>, whose keys are then declared to the check for keys
    /// nothing reads).
    /// </summary>
    /// <param name="builder">The hybrid client's builder, from <c>AddHybridInference</c>.</param>
    /// <param name="section">The configuration section of <see cref="SqliteOutboxOptions"/>.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static HybridInferenceBuilder AddSqliteOutbox(this HybridInferenceBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        return Register(builder, SectionBinding.Bind<SqliteOutboxOptions>(builder, section, "DatabasePath", DefaultKey));
    }

    private static HybridInferenceBuilder Register(HybridInferenceBuilder builder, string pathKey)
    {
        var services = builder.Services;
        services.AddOptions<SqliteOutboxOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteOutboxOptions>, SqliteOutboxOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteOutboxOptions>>(new SqliteOutboxDatabaseValidator(pathKey)));
        services.Replace(ServiceDescriptor.Singleton<IOutboxStore>(static provider =>
            new SqliteOutboxStore(provider.GetRequiredService<IOptions<SqliteOutboxOptions>>().Value)));
        return builder;
    }
}

/// <summary>Checks <see cref="SqliteOutboxOptions"/> against its attributes when the services start.</summary>
[OptionsValidator]
internal sealed partial class SqliteOutboxOptionsValidator : IValidateOptions<SqliteOutboxOptions>;

/// <summary>Opens (or creates) the outbox's database when the services start, so a path that cannot hold it stops start-up naming the key and the path.</summary>
/// <param name="key">The configuration key of the path.</param>
internal sealed class SqliteOutboxDatabaseValidator(string key) : IValidateOptions<SqliteOutboxOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteOutboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.DatabasePath))
        {
            return ValidateOptionsResult.Skip; // Required: reported by the attribute validator.
        }

        try
        {
            var path = Path.GetFullPath(options.DatabasePath);
            OutboxSchema.Apply(SqliteOutboxStore.ConnectionString(path), path);
            return ValidateOptionsResult.Success;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or NotSupportedException or PathTooLongException)
        {
            return ValidateOptionsResult.Fail($"{key}: {ex.Message}");
        }
    }
}
