using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HybridInference.Telemetry;

/// <summary>
/// Writes messages in the shape the OpenTelemetry GenAI conventions give <c>gen_ai.input.messages</c> and
/// <c>gen_ai.output.messages</c>: <c>[{"role", "parts": [{"type": "text", "content"}], "finish_reason"?}]</c>.
/// Only called when content capture is on. Parts other than text and tool calls are named by type, not written.
/// </summary>
internal static class MessageContent
{
    public static string ToJson(IEnumerable<ChatMessage> messages, ChatFinishReason? finishReason = null)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var message in messages)
            {
                writer.WriteStartObject();
                writer.WriteString("role", message.Role.Value);
                writer.WriteStartArray("parts");
                foreach (var content in message.Contents)
                {
                    writer.WriteStartObject();
                    switch (content)
                    {
                        case TextContent text:
                            writer.WriteString("type", "text");
                            writer.WriteString("content", text.Text);
                            break;
                        case FunctionCallContent call:
                            writer.WriteString("type", "tool_call");
                            writer.WriteString("id", call.CallId);
                            writer.WriteString("name", call.Name);
                            break;
                        default:
                            writer.WriteString("type", content.GetType().Name);
                            break;
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                if (finishReason is { } reason)
                {
                    writer.WriteString("finish_reason", reason.Value);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
