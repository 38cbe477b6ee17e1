using Microsoft.Extensions.Options;

namespace HybridInference.DependencyInjection;

/// <summary>The source-generated checks of the validation attributes on <see cref="HybridInferenceOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class HybridInferenceOptionsAttributeValidator : IValidateOptions<HybridInferenceOptions>
{
}
