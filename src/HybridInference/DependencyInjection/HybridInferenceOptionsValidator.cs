using Microsoft.Extensions.Options;

namespace HybridInference.DependencyInjection;

/// <summary>Checks every range and required value of <see cref="HybridInferenceOptions"/> (source-generated from the attributes).</summary>
[OptionsValidator]
internal sealed partial class HybridInferenceOptionsValidator : IValidateOptions<HybridInferenceOptions>
{
}
