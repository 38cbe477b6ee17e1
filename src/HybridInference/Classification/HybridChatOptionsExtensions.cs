using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Sets and reads the hybrid client's per-request settings on <see cref="ChatOptions"/>.</summary>
public static class HybridChatOptionsExtensions
{
    /// <summary>The key of the task category in <see cref="ChatOptions.AdditionalProperties"/>.</summary>
    public const string TaskCategoryKey = "HybridInference.TaskCategory";

    /// <summary>The key of the data policy in <see cref="ChatOptions.AdditionalProperties"/>.</summary>
    public const string DataPolicyKey = "HybridInference.DataPolicy";

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

    /// <summary>Gets the task category set on the request, if any.</summary>
    /// <param name="options">The request's options.</param>
    /// <returns>The category, or <see langword="null"/> when none was set.</returns>
    public static TaskCategory? GetTaskCategory(this ChatOptions? options) =>
        options?.AdditionalProperties is { } properties && properties.TryGetValue(TaskCategoryKey, out var value) && value is TaskCategory category
            ? category
            : null;

    /// <summary>Gets the data policy set on the request, if any.</summary>
    /// <param name="options">The request's options.</param>
    /// <returns>The policy, or <see langword="null"/> when none was set.</returns>
    public static DataPolicy? GetDataPolicy(this ChatOptions? options) =>
        options?.AdditionalProperties is { } properties && properties.TryGetValue(DataPolicyKey, out var value) && value is DataPolicy policy
            ? policy
            : null;
}
