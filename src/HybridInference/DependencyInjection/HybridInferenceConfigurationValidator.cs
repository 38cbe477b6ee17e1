using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace HybridInference.DependencyInjection;

/// <summary>
/// Reports every key of the bound configuration section whose value the binder cannot use (see
/// <see cref="ConfigurationValueCheck"/>), so that start-up stops instead of running with an entry silently dropped.
/// </summary>
internal sealed class HybridInferenceConfigurationValidator(IConfiguration section) : IValidateOptions<HybridInferenceOptions>
{
    public ValidateOptionsResult Validate(string? name, HybridInferenceOptions options)
    {
        if (name is not null && name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = ConfigurationValueCheck.Check(section, typeof(HybridInferenceOptions));
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
