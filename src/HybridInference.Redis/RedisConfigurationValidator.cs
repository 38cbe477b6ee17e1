using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace HybridInference.Redis;

/// <summary>
/// Checks at start-up that <see cref="RedisCoordinationOptions.Configuration"/> is a configuration string
/// StackExchange.Redis can parse and names a server, with an error naming the key; the value itself is never repeated
/// (it may hold a password). Whether the server answers is not checked: Redis is optional state, and a replica that
/// cannot reach it starts on its own budget and breaker.
/// </summary>
/// <param name="sectionKey">The options' section, e.g. <c>HybridInference:Redis</c>.</param>
internal sealed class RedisConfigurationValidator(string sectionKey) : IValidateOptions<RedisCoordinationOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisCoordinationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = sectionKey + ":" + nameof(RedisCoordinationOptions.Configuration);
        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            return ValidateOptionsResult.Fail($"{key} is required: the StackExchange.Redis configuration string of the Redis the replicas share (e.g. 'redis:6379').");
        }

        ConfigurationOptions parsed;
        try
        {
            parsed = ConfigurationOptions.Parse(options.Configuration);
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"{key} is not a StackExchange.Redis configuration string: {Redact(ex.Message, options.Configuration)}");
        }

        return parsed.EndPoints.Count == 0
            ? ValidateOptionsResult.Fail($"{key} names no Redis server (expected host:port, e.g. 'redis:6379').")
            : ValidateOptionsResult.Success;
    }

    /// <summary>The parser's message without the configuration string, should it quote it.</summary>
    private static string Redact(string message, string configuration) => message.Replace(configuration, "(the value)", StringComparison.Ordinal);
}
