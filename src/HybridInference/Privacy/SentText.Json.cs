using System.Buffers;
using System.Text.Json;

namespace HybridInference.Privacy;

/// <summary>The JSON values a request sends (tool arguments and results, schemas): every property name, string and number in them.</summary>
internal static partial class SentText
{
    /// <summary>Walks every property name and every string and number in a JSON value.</summary>
    /// <returns>The rewritten value (a number with personal data becomes a string); <see langword="null"/> when nothing changed.</returns>
    private static JsonElement? WalkJson(JsonElement element, SentTextVisitor visitor)
    {
        if (!visitor.Rewrites)
        {
            WalkJson(element, visitor, null);
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>();
        bool changed;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            changed = WalkJson(element, visitor, writer);
        }

        if (!changed)
        {
            return null;
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static bool WalkJson(JsonElement element, SentTextVisitor visitor, Utf8JsonWriter? writer)
    {
        var changed = false;
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer?.WriteStartObject();
                foreach (var property in element.EnumerateObject())
                {
                    var name = VisitText(property.Name, visitor);
                    if (visitor.Done)
                    {
                        return false;
                    }

                    changed |= name is not null;
                    writer?.WritePropertyName(name ?? property.Name);
                    changed |= WalkJson(property.Value, visitor, writer);
                }

                writer?.WriteEndObject();
                break;

            case JsonValueKind.Array:
                writer?.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    changed |= WalkJson(item, visitor, writer);
                    if (visitor.Done)
                    {
                        return false;
                    }
                }

                writer?.WriteEndArray();
                break;

            case JsonValueKind.String:
                {
                    var text = element.GetString()!;
                    var rewritten = VisitText(text, visitor);
                    writer?.WriteStringValue(rewritten ?? text);
                    changed = rewritten is not null;
                    break;
                }

            case JsonValueKind.Number:
                if (VisitText(element.GetRawText(), visitor) is { } number)
                {
                    writer?.WriteStringValue(number);
                    changed = true;
                }
                else
                {
                    writer?.WriteRawValue(element.GetRawText(), skipInputValidation: true);
                }

                break;

            default:
                if (writer is not null)
                {
                    element.WriteTo(writer);
                }

                break;
        }

        return changed;
    }

    private static Dictionary<string, object?> ToArguments(JsonElement arguments)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in arguments.EnumerateObject())
        {
            if (!result.TryAdd(property.Name, property.Value.Clone()))
            {
                throw new InvalidOperationException("Redacting a tool call's arguments made two argument names the same.");
            }
        }

        return result;
    }
}
