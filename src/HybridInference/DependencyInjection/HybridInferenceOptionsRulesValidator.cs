using HybridInference.Http;
using HybridInference.Internal;
using HybridInference.Privacy;
using Microsoft.Extensions.Options;

namespace HybridInference.DependencyInjection;

/// <summary>
/// Checks the rules of <see cref="HybridInferenceOptions"/> that span several values: a local backend exists, names are
/// unique, every configured backend has a client, the local context limit fits the local windows, rules compile.
/// Each error names the configuration key.
/// </summary>
internal sealed class HybridInferenceOptionsRulesValidator(IEnumerable<BackendRegistration> registrations, IEnumerable<IBackendClientFactory> factories) : IValidateOptions<HybridInferenceOptions>
{
    private const string Prefix = HybridInferenceOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, HybridInferenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var registered = registrations.ToList();
        var providers = factories.ToList();

        CheckBackends(options.Local.Backends, BackendLane.Local, "Local", registered, providers, errors);
        CheckBackends(options.Cloud.Backends, BackendLane.Cloud, "Cloud", registered, providers, errors);

        if (options.Local.Backends.Count == 0 && !registered.Exists(r => r.Lane == BackendLane.Local))
        {
            errors.Add($"{Prefix}:Local:Backends: no local backend is configured. Add one in configuration or with AddLocalBackend(name, factory).");
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var registration in registered)
        {
            if (!seen.Add(registration.Name))
            {
                errors.Add($"Backend name '{registration.Name}' is registered more than once with AddLocalBackend/AddCloudBackend; names must be unique.");
            }
        }

        var configured = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var backendName in options.Local.Backends.Select(b => b.Name).Concat(options.Cloud.Backends.Select(b => b.Name)))
        {
            if (!string.IsNullOrWhiteSpace(backendName) && !configured.Add(backendName))
            {
                errors.Add($"{Prefix}: backend name '{backendName}' appears more than once under Local:Backends and Cloud:Backends; names must be unique.");
            }
        }

        var largestWindow = options.Local.Backends.Max(b => b.ContextWindow);
        if (largestWindow is { } window && options.Routing.LocalContextLimit is { } limit && limit > window)
        {
            errors.Add($"{Prefix}:Routing:LocalContextLimit ({limit}) is larger than the largest local ContextWindow ({window}); requests would be routed to a local model that cannot hold them.");
        }

        // The output reserve alone must leave room for a prompt in the local limit, else no request without its own
        // MaxOutputTokens could ever run locally.
        if ((options.Routing.LocalContextLimit ?? largestWindow) is { } room && options.Routing.DefaultOutputTokens >= room)
        {
            errors.Add($"{Prefix}:Routing:DefaultOutputTokens ({options.Routing.DefaultOutputTokens}) leaves no room for a prompt in the local limit of {room} tokens " +
                $"({(options.Routing.LocalContextLimit is null ? "the largest local ContextWindow" : "Routing:LocalContextLimit")}); set it below that.");
        }

        foreach (var (model, price) in options.Pricing)
        {
            if (price is null)
            {
                errors.Add($"{Prefix}:Pricing:{model} has no prices.");
            }
            else
            {
                CheckPrice(price.InputPerMillionTokens, $"{Prefix}:Pricing:{model}:InputPerMillionTokens", errors);
                CheckPrice(price.OutputPerMillionTokens, $"{Prefix}:Pricing:{model}:OutputPerMillionTokens", errors);
            }
        }

        CheckRules(options.Classification, errors);
        CheckEnums(options, errors);
        foreach (var (kind, pattern) in options.Privacy.CustomPatterns)
        {
            LinearPattern.Check(pattern, $"{Prefix}:Privacy:CustomPatterns:{kind}", errors);
        }

        TopicMatcher.Validate(options.Privacy.Topics, errors);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckBackends(
        IList<BackendOptions> backends, BackendLane lane, string section, List<BackendRegistration> registered, List<IBackendClientFactory> providers, List<string> errors)
    {
        for (var i = 0; i < backends.Count; i++)
        {
            var backend = backends[i];
            var key = $"{Prefix}:{section}:Backends:{i}";
            if (string.IsNullOrWhiteSpace(backend.Name))
            {
                continue; // The generated validator reports the missing name.
            }

            var registration = registered.Find(r => string.Equals(r.Name, backend.Name, StringComparison.OrdinalIgnoreCase));
            if (registration is null)
            {
                var factory = backend.Provider is { } provider ? providers.Find(f => f.CanCreate(provider)) : null;
                if (factory is null)
                {
                    errors.Add($"{key} ('{backend.Name}', provider '{backend.Provider ?? "none"}'): no client for this backend. Register one with Add{section}Backend(\"{backend.Name}\", factory), or add a provider package that knows '{backend.Provider ?? "none"}' (HybridInference.OpenAI: AddOpenAIProviders()).");
                }
                else
                {
                    errors.AddRange(factory.Validate(backend, lane, key));
                }
            }
            else if (registration.Lane != lane)
            {
                errors.Add($"{key} ('{backend.Name}') is configured as a {section.ToLowerInvariant()} backend but registered with Add{registration.Lane}Backend.");
            }

            CheckDiscovery(backend, lane, key, registration, errors);
            if (backend.Quantization is not null && !Pools.Quantizations.TryParse(backend.Quantization, out _))
            {
                errors.Add($"{key}:Quantization is not a quantization this version knows; use one of {Pools.Quantizations.Known} (any case, with or without the underscores).");
            }

            if (backend.Timeout is { } timeout && timeout <= TimeSpan.Zero)
            {
                errors.Add($"{key}:Timeout must be positive.");
            }

            if (backend.Endpoint is { IsAbsoluteUri: false })
            {
                errors.Add($"{key}:Endpoint must be an absolute URL such as http://localhost:8000/v1.");
            }
            else if (backend.Endpoint is { } anyEndpoint && anyEndpoint.Scheme != Uri.UriSchemeHttp && anyEndpoint.Scheme != Uri.UriSchemeHttps)
            {
                errors.Add($"{key}:Endpoint '{EndpointDisplay.Render(anyEndpoint)}' must be an http or https URL.");
            }
            else if (lane == BackendLane.Cloud && backend.Endpoint is { Scheme: "http" } endpoint && !backend.AllowInsecureHttp)
            {
                errors.Add($"{key}:Endpoint '{EndpointDisplay.Render(endpoint)}' is plain http:// for a cloud backend, which would send keys and data in clear text; use https, or set {key}:AllowInsecureHttp to true.");
            }
            else if (lane == BackendLane.Local && backend.Endpoint is { } localEndpoint && PublicCloudHosts.Contains(localEndpoint))
            {
                // Whatever the provider: local-only requests would leave the machine through it.
                errors.Add($"{key}:Endpoint '{EndpointDisplay.Render(localEndpoint)}' is a public cloud API; a local backend cannot point at it, because local-only requests would be sent there (configure it under Cloud:Backends).");
            }
        }
    }

    /// <summary>The rules of <c>Discovery</c>: a local backend from a provider package, whose endpoint's host is a name to look up.</summary>
    private static void CheckDiscovery(BackendOptions backend, BackendLane lane, string key, BackendRegistration? registration, List<string> errors)
    {
        if (!Enum.IsDefined(backend.Discovery))
        {
            errors.Add($"{key}:Discovery ({backend.Discovery}) is not one of {string.Join(", ", Enum.GetNames<BackendDiscovery>())}.");
            return;
        }

        if (backend.Discovery == BackendDiscovery.None)
        {
            return;
        }

        if (lane == BackendLane.Cloud)
        {
            errors.Add($"{key}:Discovery ({backend.Discovery}) is for local backends (replicas of an engine behind a headless Service); a cloud backend is one endpoint.");
        }
        else if (registration is not null)
        {
            errors.Add($"{key}:Discovery ({backend.Discovery}) needs a provider package to create one client per address, but backend '{backend.Name}' is registered by code (AddLocalBackend); remove one of the two.");
        }

        if (backend.Endpoint is not { IsAbsoluteUri: true } endpoint)
        {
            errors.Add($"{key}:Discovery ({backend.Discovery}) needs {key}:Endpoint, whose host is the name to look up (http://vllm.inference.svc.cluster.local:8000/v1).");
        }
        else if (endpoint.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
        {
            errors.Add($"{key}:Discovery ({backend.Discovery}) needs a host name to look up in {key}:Endpoint, not the address '{endpoint.Host}'.");
        }
    }

    private static void CheckPrice(double price, string key, List<string> errors)
    {
        if (!double.IsFinite(price))
        {
            errors.Add($"{key} must be a finite number of USD.");
        }
        else if (price < 0)
        {
            errors.Add($"{key}: prices must not be negative.");
        }
    }

    /// <summary>Enum settings set in code to a value that is no member (<c>(PiiAction)7</c>); configuration values are checked before binding.</summary>
    private static void CheckEnums(HybridInferenceOptions options, List<string> errors)
    {
        CheckEnum(options.Classification.DefaultDataPolicy, "Classification:DefaultDataPolicy", errors);
        if (options.Classification.ToolsCategory is { } toolsCategory)
        {
            CheckEnum(toolsCategory, "Classification:ToolsCategory", errors);
        }

        CheckEnum(options.Local.LoadBalancing, "Local:LoadBalancing", errors);
        CheckEnum(options.Cloud.LoadBalancing, "Cloud:LoadBalancing", errors);
        CheckEnum(options.Privacy.Action, "Privacy:Action", errors);
    }

    private static void CheckEnum<TEnum>(TEnum value, string key, List<string> errors)
        where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            errors.Add($"{Prefix}:{key} ({value}) is not one of {string.Join(", ", Enum.GetNames<TEnum>())}.");
        }
    }

    private static void CheckRules(ClassificationOptions classification, List<string> errors)
    {
        for (var i = 0; i < classification.Rules.Count; i++)
        {
            var rule = classification.Rules[i];
            var key = $"{Prefix}:Classification:Rules:{i}";
            if (!Enum.IsDefined(rule.Category))
            {
                errors.Add($"{key}:Category is not a task category (Routine, Complex, SafetyCritical).");
            }

            if (rule.Keywords.All(string.IsNullOrWhiteSpace) && string.IsNullOrWhiteSpace(rule.Pattern))
            {
                errors.Add($"{key} has neither Keywords nor a Pattern; it would never match.");
            }

            if (!string.IsNullOrWhiteSpace(rule.Pattern))
            {
                LinearPattern.Check(rule.Pattern, $"{key}:Pattern", errors);
            }
        }

        if (!Enum.IsDefined(classification.DefaultCategory))
        {
            errors.Add($"{Prefix}:Classification:DefaultCategory is not a task category (Routine, Complex, SafetyCritical).");
        }
    }
}
