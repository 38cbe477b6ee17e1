using HybridInference.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HybridInference.DependencyInjection;

/// <summary>
/// Reports every key of the bound configuration section whose value the binder cannot use (see
/// <see cref="ConfigurationValueCheck"/>), so that start-up stops instead of running with an entry silently dropped,
/// and every key nothing reads (a typo such as <c>Routing:LocalContextLimt</c>): an error, or, with
/// <c>AllowUnknownKeys</c>, one warning in the log for each set of unknown keys (not again when the options are
/// validated again with the same ones).
/// </summary>
internal sealed class HybridInferenceConfigurationValidator(IConfiguration section, IEnumerable<BoundConfigurationSection> boundElsewhere, ILogger logger)
    : IValidateOptions<HybridInferenceOptions>
{
    private string? _warned;

    public ValidateOptionsResult Validate(string? name, HybridInferenceOptions options)
    {
        if (name is not null && name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        ArgumentNullException.ThrowIfNull(options);
        var bound = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase);
        foreach (var declared in boundElsewhere)
        {
            bound.TryAdd(declared.Path, declared.OptionsType);
        }

        var unknown = new List<string>();
        var errors = ConfigurationValueCheck.Check(section, typeof(HybridInferenceOptions), bound, unknown);
        if (unknown.Count > 0 && !options.AllowUnknownKeys)
        {
            errors.AddRange(unknown);
            errors.Add($"{HybridInferenceOptions.SectionName}:AllowUnknownKeys: set it to true to start with unknown keys ignored (each set of them is then logged once as a warning).");
        }
        else if (unknown.Count > 0)
        {
            var report = string.Join(" ", unknown);
            if (Interlocked.Exchange(ref _warned, report) != report)
            {
                Log.UnknownConfigurationKeys(logger, unknown.Count, report);
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// Binds <paramref name="section"/> to <paramref name="options"/>. When a value cannot be converted the binder
    /// throws at the first one; this validator then lists them all, so the binder's exception (which would stop at the
    /// first and may quote the value) is not what start-up reports. A binder failure the check does not explain is rethrown.
    /// </summary>
    /// <param name="section">The configuration section.</param>
    /// <param name="options">The options to bind into.</param>
    public static void Bind(IConfiguration section, HybridInferenceOptions options)
    {
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException) when (ConfigurationValueCheck.Check(section, typeof(HybridInferenceOptions)).Count > 0)
        {
            // Reported, with every other bad key, by Validate at start-up.
        }
    }
}
