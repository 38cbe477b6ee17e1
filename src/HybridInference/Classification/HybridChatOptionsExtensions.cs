using HybridInference.Classification;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Sets and reads the hybrid client's per-request settings on <see cref="ChatOptions"/>.</summary>
public static class HybridChatOptionsExtensions
{
    /// <summary>The key of the task category in <see cref="ChatOptions.AdditionalProperties"/>.</summary>
    public const string TaskCategoryKey = "HybridInference.TaskCategory";

    /// <summary>The key of the data policy in <see cref="ChatOptions.AdditionalProperties"/>.</summary>
    public const string DataPolicyKey = "HybridInference.DataPolicy";

    /// <summary>The key of the refinement request in <see cref="ChatOptions.AdditionalProperties"/>.</summary>
    public const string RefinementKey = "HybridInference.Refinement";

    /// <summary>The key under which <see cref="AsDeferrable"/> stores the request's choice in <see cref="ChatOptions.AdditionalProperties"/>.</summary>
    public const string DeferrableKey = "HybridInference.Deferrable";

    /// <summary>Sets the task category, which then wins over the classifier's rules.</summary>
    /// <param name="options">The request's options; changed in place.</param>
    /// <param name="category">The category.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static ChatOptions WithTaskCategory(this ChatOptions options, TaskCategory category)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.IsDefined(category))
        {
            throw new ArgumentOutOfRangeException(nameof(category), category, "Not a TaskCategory value.");
        }

        (options.AdditionalProperties ??= [])[TaskCategoryKey] = category;
        return options;
    }

    /// <summary>Sets whether the request's data may leave the machine.</summary>
    /// <param name="options">The request's options; changed in place.</param>
    /// <param name="policy">The data policy. <see cref="DataPolicy.LocalOnly"/> keeps the request off every cloud backend.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static ChatOptions WithDataPolicy(this ChatOptions options, DataPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.IsDefined(policy))
        {
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "Not a DataPolicy value.");
        }

        (options.AdditionalProperties ??= [])[DataPolicyKey] = policy;
        return options;
    }

    /// <summary>
    /// Asks for "local first pass, cloud refinement": the caller gets the local answer at once, and a cloud refinement
    /// of it (the original prompt, the local draft and <c>Refinement:Instruction</c>) is queued in the outbox and sent
    /// when the cloud is reachable. Read it with <see cref="RefinementExtensions.GetRefinement(ChatResponse)"/>; every
    /// <see cref="IRefinementListener"/> hears how it ended. LocalOnly data is never refined in the cloud nor written
    /// to the outbox (the outcome says <see cref="RefinementStatus.LocalOnly"/>); an answer that came from the cloud
    /// needs none (<see cref="RefinementStatus.NotNeeded"/>).
    /// </summary>
    /// <param name="options">The request's options; changed in place.</param>
    /// <param name="enabled"><see langword="false"/> turns off a <c>Refinement:Categories</c> default for this request.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static ChatOptions WithRefinement(this ChatOptions options, bool enabled = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        (options.AdditionalProperties ??= [])[RefinementKey] = enabled;
        return options;
    }

    /// <summary>Gets whether the request asked for a refinement, if it said.</summary>
    /// <param name="options">The request's options.</param>
    /// <returns>The request's choice, or <see langword="null"/> when it made none (the category's default applies).</returns>
    /// <exception cref="ArgumentException">The value under <see cref="RefinementKey"/> is not a <see cref="bool"/> (nor <c>true</c>/<c>false</c> as text or JSON).</exception>
    public static bool? GetRefinement(this ChatOptions? options) => ReadSwitch(options, RefinementKey);

    /// <summary>
    /// Marks the request as deferrable: when it must go to the cloud (its category may not run locally,
    /// <c>Routing:OnCloudUnavailable</c>; it is too long for every local window even with its history reduced; no
    /// local model is fit for it) and the cloud cannot take it (unreachable, timing out, 5xx, 429, its breaker open or
    /// its budget full), it is written to the outbox before the call returns, and the caller gets at once a response
    /// with no answer whose outcome says <see cref="RouteReason.Deferred"/>, carrying a handle
    /// (<see cref="RefinementExtensions.GetDeferral(ChatResponse)"/>) whose task gives the cloud's answer later; every
    /// <see cref="IRefinementListener"/> hears it too (<see cref="RefinementOutcome.Deferred"/>). Work that may run
    /// locally is still answered locally first. LocalOnly work, and work that offers tools, is never deferred.
    /// </summary>
    /// <param name="options">The request's options; changed in place.</param>
    /// <param name="deferrable"><see langword="false"/> turns off a <c>Refinement:DeferrableCategories</c> default for this request.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static ChatOptions AsDeferrable(this ChatOptions options, bool deferrable = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        (options.AdditionalProperties ??= [])[DeferrableKey] = deferrable;
        return options;
    }

    /// <summary>Gets whether the request said it is deferrable, if it said.</summary>
    /// <param name="options">The request's options.</param>
    /// <returns>The request's choice, or <see langword="null"/> when it made none (the category's default applies).</returns>
    /// <exception cref="ArgumentException">The value under <see cref="DeferrableKey"/> is not a <see cref="bool"/> (nor <c>true</c>/<c>false</c> as text or JSON).</exception>
    public static bool? GetDeferrable(this ChatOptions? options) => ReadSwitch(options, DeferrableKey);

    private static bool? ReadSwitch(ChatOptions? options, string key)
    {
        if (options?.AdditionalProperties is not { } properties || !properties.TryGetValue(key, out var value) || value is null)
        {
            return null;
        }

        return value switch
        {
            bool enabled => enabled,
            string text when bool.TryParse(text, out var parsed) => parsed,
            System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.True } => true,
            System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.False } => false,
            System.Text.Json.Nodes.JsonValue json when json.TryGetValue<bool>(out var parsed) => parsed,
            _ => throw new ArgumentException(
                $"The request setting {key} must be true or false; it is a {value.GetType().Name}.", nameof(options)),
        };
    }

    /// <summary>Gets the task category set on the request, if any.</summary>
    /// <param name="options">The request's options.</param>
    /// <returns>The category, or <see langword="null"/> when none was set (no value, or <see langword="null"/>).</returns>
    /// <exception cref="ArgumentException">
    /// The value under <see cref="TaskCategoryKey"/> is not a task category: an undefined number, an unknown name, or a
    /// value of another type. Accepted are a <see cref="TaskCategory"/>, its name in any case, its number, and either as a
    /// <see cref="System.Text.Json.JsonElement"/> or <see cref="System.Text.Json.Nodes.JsonValue"/> (options that were deserialized from JSON).
    /// </exception>
    public static TaskCategory? GetTaskCategory(this ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { } properties || !properties.TryGetValue(TaskCategoryKey, out var value) || value is null)
        {
            return null;
        }

        // The common case stays a type check: no parsing, no allocation.
        return value is TaskCategory category && Enum.IsDefined(category)
            ? category
            : RequestSettingParser.Parse<TaskCategory>(value, TaskCategoryKey);
    }

    /// <summary>Gets the data policy set on the request, if any.</summary>
    /// <param name="options">The request's options.</param>
    /// <returns>The policy, or <see langword="null"/> when none was set (no value, or <see langword="null"/>).</returns>
    /// <exception cref="ArgumentException">
    /// The value under <see cref="DataPolicyKey"/> is not a data policy: an undefined number such as <c>(DataPolicy)7</c>,
    /// an unknown name, or a value of another type. It is never read as <see cref="DataPolicy.Any"/>. Accepted are a
    /// <see cref="DataPolicy"/>, its name in any case, its number, and either as a <see cref="System.Text.Json.JsonElement"/>
    /// or <see cref="System.Text.Json.Nodes.JsonValue"/> (options that were deserialized from JSON).
    /// </exception>
    public static DataPolicy? GetDataPolicy(this ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { } properties || !properties.TryGetValue(DataPolicyKey, out var value) || value is null)
        {
            return null;
        }

        // The common case stays a type check: no parsing, no allocation.
        return value is DataPolicy policy && Enum.IsDefined(policy)
            ? policy
            : RequestSettingParser.Parse<DataPolicy>(value, DataPolicyKey);
    }
}
