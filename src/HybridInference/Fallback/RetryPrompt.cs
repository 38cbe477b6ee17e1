using System.Text;
using HybridInference.Internal;
using Microsoft.Extensions.AI;

namespace HybridInference.Fallback;

/// <summary>
/// Writes the constrained prompt of a local retry: the original conversation, the rejected answer, and a user turn
/// that says what was wrong (per failure reason, with each validation error's location and message), the schema,
/// and what to return instead.
/// </summary>
internal static class RetryPrompt
{
    /// <summary>Builds the retry's messages.</summary>
    /// <param name="original">The request's messages.</param>
    /// <param name="rejected">The answer that failed.</param>
    /// <param name="json">The request's JSON format.</param>
    /// <param name="reason">Why it failed.</param>
    /// <param name="errors">The validation errors to fix.</param>
    public static List<ChatMessage> Build(
        IEnumerable<ChatMessage> original, ChatResponse rejected, ChatResponseFormatJson json, ValidationFailureReason reason, IReadOnlyList<JsonSchemaValidationError> errors)
    {
        var prompt = new StringBuilder();
        switch (reason)
        {
            case ValidationFailureReason.Truncated:
                prompt.AppendLine("Your previous answer was cut off at the output token limit before the JSON was complete.")
                    .AppendLine("Answer again with a shorter JSON document: keep string values brief and include only what the schema asks for.");
                break;
            case ValidationFailureReason.SchemaEcho:
                prompt.AppendLine("Your previous answer repeated the JSON Schema instead of giving data.")
                    .AppendLine("Return a JSON document that is an instance of the schema: actual values for its properties, not the schema's definition.");
                break;
            case ValidationFailureReason.InvalidJson:
                prompt.AppendLine("Your previous answer was not valid JSON:");
                AppendErrors(prompt, errors);
                break;
            default:
                prompt.AppendLine("Your previous answer did not match the required JSON Schema. Fix exactly these errors (location in the JSON, then the problem):");
                AppendErrors(prompt, errors);
                break;
        }

        if (json.Schema is { } schema)
        {
            prompt.Append("The schema: ").AppendLine(schema.GetRawText());
        }

        prompt.Append("Return ONLY valid JSON matching the required schema. No markdown, no explanations.");

        List<ChatMessage> messages = [.. original];
        if (reason != ValidationFailureReason.Truncated)
        {
            // A cut-off answer is left out: the model should start afresh and shorter, not continue it.
            messages.Add(new ChatMessage(ChatRole.Assistant, rejected.Text));
        }

        messages.Add(new ChatMessage(ChatRole.User, prompt.ToString()));
        return messages;
    }

    private static void AppendErrors(StringBuilder prompt, IReadOnlyList<JsonSchemaValidationError> errors)
    {
        
        for (var i = 0; i < errors.Count && i < Defaults.RetryPromptMaxErrors; i++)
        {
            prompt.Append("- ").AppendLine(errors[i].ToString());
        }

        if (errors.Count > Defaults.RetryPromptMaxErrors)
        {
            prompt.Append("- and ").Append(errors.Count - Defaults.RetryPromptMaxErrors).AppendLine(" more");
        }
    }
}
