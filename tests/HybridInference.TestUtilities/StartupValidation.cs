using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridInference.TestUtilities;

/// <summary>Runs the options validation a host runs at start-up and returns what it reported.</summary>
public static class StartupValidation
{
    /// <summary>Every problem start-up would list for <paramref name="provider"/>'s options; empty when it would start.</summary>
    public static IReadOnlyList<string> StartupFailures(this IServiceProvider provider)
    {
        try
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            return [];
        }
        catch (OptionsValidationException ex)
        {
            return [.. ex.Failures];
        }
    }
}
