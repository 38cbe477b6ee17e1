using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>
/// Marks single messages <see cref="DataPolicy.LocalOnly"/>, and reads the mark: a request whose messages include a
/// marked one is local-only, whatever its options say.
/// </summary>
/// <remarks>
/// <para>
/// The hybrid client marks the data of local-only requests itself: the messages of a <see cref="DataPolicy.LocalOnly"/>
/// request (it writes the mark into the <see cref="ChatMessage"/> objects passed in) and the messages of its answer.
/// So a later turn whose history holds any of them is local-only too, until the caller removes that message or
/// clears its mark with <c>WithDataPolicy(DataPolicy.Any)</c>. A message object shared between conversations (a
/// static system prompt, say) therefore makes every later request with it local-only once it took part in a
/// local-only request: give each conversation its own messages. <see cref="ChatOptions.Instructions"/> carry no mark.
/// </para>
/// <para>
/// The mark is <c>"LocalOnly"</c> under <see cref="DataPolicyKey"/> in <see cref="ChatMessage.AdditionalProperties"/>,
/// so it survives saving the history as JSON (a <see cref="JsonElement"/> or string read back is understood). In a
/// streamed answer each update's contents carry the mark (in their <see cref="AIContent.AdditionalProperties"/>,
/// which <c>ToChatResponse()</c> keeps on the message's contents), and so does each update; a message counts as
/// marked when it or any of its contents is.
/// </para>
/// </remarks>
public static class ChatMessageDataPolicyExtensions
{
    /// <summary>The key of the mark in <see cref="ChatMessage.AdditionalProperties"/> (and <see cref="AIContent.AdditionalProperties"/>).</summary>
    public const string DataPolicyKey = "HybridInference.DataPolicy";

    private const string LocalOnlyValue = nameof(DataPolicy.LocalOnly);

    /// <summary>Marks a message, or clears its mark.</summary>
    /// <param name="message">The message; changed in place.</param>
    /// <param name="policy">
    /// <see cref="DataPolicy.LocalOnly"/> keeps every request that includes the message off the cloud;
    /// <see cref="DataPolicy.Any"/> removes the mark from the message and its contents.
    /// </param>
    /// <returns><paramref name="message"/>, for chaining.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="policy"/> is not a <see cref="DataPolicy"/> value.</exception>
    public static ChatMessage WithDataPolicy(this ChatMessage message, DataPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(message);
        switch (policy)
        {
            case DataPolicy.LocalOnly:
                (message.AdditionalProperties ??= [])[DataPolicyKey] = LocalOnlyValue;
                break;
            case DataPolicy.Any:
                message.AdditionalProperties?.Remove(DataPolicyKey);
                foreach (var content in message.Contents)
                {
                    content.AdditionalProperties?.Remove(DataPolicyKey);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(policy), policy, "Not a DataPolicy value.");
        }

        return message;
    }

    /// <summary>Gets the data policy a message is marked with, if any.</summary>
    /// <param name="message">The message.</param>
    /// <returns><see cref="DataPolicy.LocalOnly"/> when the message or one of its contents is marked; otherwise <see langword="null"/>.</returns>
    /// <exception cref="ArgumentException">The mark holds something that is not a data policy.</exception>
    public static DataPolicy? GetDataPolicy(this ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (Read(message.AdditionalProperties) is { } policy)
        {
            return policy;
        }

        var contents = message.Contents;
        for (var i = 0; i < contents.Count; i++)
        {
            if (Read(contents[i].AdditionalProperties) == DataPolicy.LocalOnly)
            {
                return DataPolicy.LocalOnly;
            }
        }

        return null;
    }

    /// <summary>Whether any of the messages is marked <see cref="DataPolicy.LocalOnly"/>; one pass, no allocation.</summary>
    internal static bool AnyLocalOnly(IEnumerable<ChatMessage> messages)
    {
        if (messages is IReadOnlyList<ChatMessage> list)
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (IsLocalOnly(list[i]))
                {
                    return true;
                }
            }

            return false;
        }

        foreach (var message in messages)
        {
            if (IsLocalOnly(message))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Marks the message <see cref="DataPolicy.LocalOnly"/> unless it already is.</summary>
    internal static void MarkLocalOnly(ChatMessage message)
    {
        if (Read(message.AdditionalProperties) != DataPolicy.LocalOnly)
        {
            (message.AdditionalProperties ??= [])[DataPolicyKey] = LocalOnlyValue;
        }
    }

    /// <summary>Marks a streamed update and its contents <see cref="DataPolicy.LocalOnly"/>.</summary>
    internal static void MarkLocalOnly(ChatResponseUpdate update)
    {
        (update.AdditionalProperties ??= [])[DataPolicyKey] = LocalOnlyValue;
        foreach (var content in update.Contents)
        {
            (content.AdditionalProperties ??= [])[DataPolicyKey] = LocalOnlyValue;
        }
    }

    private static bool IsLocalOnly(ChatMessage message)
    {
        if (message.AdditionalProperties is not null && Read(message.AdditionalProperties) == DataPolicy.LocalOnly)
        {
            return true;
        }

        var contents = message.Contents;
        for (var i = 0; i < contents.Count; i++)
        {
            if (contents[i].AdditionalProperties is not null && Read(contents[i].AdditionalProperties) == DataPolicy.LocalOnly)
            {
                return true;
            }
        }

        return false;
    }

    private static DataPolicy? Read(AdditionalPropertiesDictionary? properties)
    {
        if (properties is null || !properties.TryGetValue(DataPolicyKey, out var value))
        {
            return null;
        }

        DataPolicy? policy = value switch
        {
            DataPolicy known when Enum.IsDefined(known) => known,
            string text => Parse(text),
            JsonElement { ValueKind: JsonValueKind.String } element => Parse(element.GetString()!),
            JsonElement { ValueKind: JsonValueKind.Number } element when element.TryGetInt32(out var number) => FromNumber(number),
            int number => FromNumber(number),
            long number => number is >= 0 and <= 1 ? FromNumber((int)number) : null,
            _ => null,
        };

        return policy ?? throw new ArgumentException(
            $"A message's AdditionalProperties[\"{DataPolicyKey}\"] holds {Describe(value)}, which is not a data policy; use \"LocalOnly\" or \"Any\" (or remove it).",
            "messages");
    }

    private static DataPolicy? Parse(string text) => text.Trim() switch
    {
        var name when name.Equals(nameof(DataPolicy.LocalOnly), StringComparison.OrdinalIgnoreCase) || name == "1" => DataPolicy.LocalOnly,
        var name when name.Equals(nameof(DataPolicy.Any), StringComparison.OrdinalIgnoreCase) || name == "0" => DataPolicy.Any,
        _ => null,
    };

    private static DataPolicy? FromNumber(int number) => number switch
    {
        0 => DataPolicy.Any,
        1 => DataPolicy.LocalOnly,
        _ => null,
    };

    /// <summary>What the mark holds, without its value (it is the caller's data).</summary>
    private static string Describe(object? value) => value switch
    {
        null => "null",
        JsonElement element => $"a JSON {element.ValueKind.ToString().ToLowerInvariant()}",
        _ => $"a {value.GetType().Name}",
    };
}
