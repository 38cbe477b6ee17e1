using HybridInference.Internal;
using HybridInference.JsonSchema;
using HybridInference.Validation;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Adds JSON Schema validation to a lane.</summary>
public static class JsonValidationChatClientBuilderExtensions
{
    /// <summary>
    /// Adds JSON validation at this point of a lane (put it last, just above the pool): every answer to a request with
    /// a JSON response format is checked against the request's schema; an invalid one fails the attempt with
    /// <see cref="OutputValidationException"/>, which the lane's circuit breaker counts and the schema-validating
    /// fallback retries and escalates. A JSON stream is checked whole and then replayed.
    /// </summary>
    /// <param name="builder">The lane's pipeline.</param>
    /// <param name="lane">The lane it guards (for the error's words). Default <see cref="BackendLane.Local"/>.</param>
    /// <param name="options">
    /// Whether JSON is extracted from a code fence or prose around it before validation
    /// (<see cref="ValidationOptions.ExtractJson"/>, on by default) and whether <c>format</c> is asserted
    /// (<see cref="ValidationOptions.AssertFormats"/>, for the built-in validator); the defaults when <see langword="null"/>.
    /// </param>
    /// <param name="configure">
    /// Changes the options when the pipeline is built, the way <c>UseLogging</c>'s <c>configure</c> does: it runs on
    /// <paramref name="options"/> (or on new defaults) first. Optional.
    /// </param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>
    /// The schema validator is the <see cref="IJsonSchemaValidator"/> in the services, or the built-in one
    /// (<see cref="JsonSchemaValidator"/>) with the options' <see cref="ValidationOptions.AssertFormats"/>.
    /// </remarks>
    public static ChatClientBuilder UseJsonValidation(
        this ChatClientBuilder builder, BackendLane lane = BackendLane.Local, ValidationOptions? options = null, Action<ValidationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var validation = options ?? new ValidationOptions();
            configure?.Invoke(validation);
            var validator = services.GetService(typeof(IJsonSchemaValidator)) as IJsonSchemaValidator ?? new JsonSchemaValidator(validation.AssertFormats);
            return new JsonValidationChatClient(inner, validator, validation.ExtractJson, ChainServices.Metrics(services), lane);
        });
    }
}
