using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace HybridInference.DependencyInjection;

/// <summary>
/// Checks every range and required value of <see cref="HybridInferenceOptions"/> with the source-generated validator,
/// and reports each failure under its configuration key (<c>HybridInference:Routing:LocalContextLimit</c>) instead of
/// the generator's member path (<c>HybridInference.Routing.LocalContextLimit</c>).
/// </summary>
internal sealed partial class HybridInferenceOptionsValidator : IValidateOptions<HybridInferenceOptions>
{
    private readonly HybridInferenceOptionsAttributeValidator _attributes = new();

    public ValidateOptionsResult Validate(string? name, HybridInferenceOptions options)
    {
        var result = _attributes.Validate(HybridInferenceOptions.SectionName, options);
        return result.Failed
            ? ValidateOptionsResult.Fail(result.Failures.Select(ToConfigurationKeys))
            : result;
    }

    /// <summary>Turns "Member: The field HybridInference.Local.Backends[0].Name ..." into "The field HybridInference:Local:Backends:0:Name ...".</summary>
    internal static string ToConfigurationKeys(string failure)
    {
        var separator = failure.IndexOf(": ", StringComparison.Ordinal);
        if (separator > 0 && !failure[..separator].Contains(' ', StringComparison.Ordinal))
        {
            failure = failure[(separator + 2)..];
        }

        return MemberPath().Replace(failure, match => match.Value.Replace('.', ':').Replace("[", ":", StringComparison.Ordinal).Replace("]", string.Empty, StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\bHybridInference(?:\.[A-Za-z]+|\[\d+\])+")]
    private static partial Regex MemberPath();
}
