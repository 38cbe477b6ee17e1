using HybridInference.Internal;
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
    /// <param name="extractJson">Whether JSON is extracted from a code fence or prose around it before validation. Default <see langword="true"/>.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>The schema validator is the <see cref="IJsonSchemaValidator"/> in the services, or the built-in one.</remarks>
    public static ChatClientBuilder UseJsonValidation(this ChatClientBuilder builder, BackendLane lane = BackendLane.Local, bool extractJson = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) => new JsonValidationChatClient(
            inner, ChainServices.Validator(services), extractJson, ChainServices.Metrics(services), lane));
    }
}
