using System.Text.Json;

namespace HybridInference.Tests.Chain;

/// <summary>Requests and schemas the tests share.</summary>
internal static class Requests
{
    public static readonly JsonElement PersonSchema = JsonDocument.Parse("""
        {
          "type": "object",
          "properties": {
            "name": { "type": "string" },
            "age": { "type": "integer" },
            "role": { "enum": ["admin", "user"] }
          },
          "required": ["name", "age"],
          "additionalProperties": false
        }
        """).RootElement.Clone();

    public const string ValidPerson = """{"name":"Ada","age":36,"role":"admin"}""";

    public static ChatMessage[] User(string text) => [new ChatMessage(ChatRole.User, text)];

    public static ChatOptions Json() => new() { ResponseFormat = ChatResponseFormat.ForJsonSchema(PersonSchema, "person") };

    /// <summary>A long text of about three estimated tokens a word (two for the word, one for its comma).</summary>
    public static string LongText(int words) => string.Join(", ", Enumerable.Repeat("summarize", words));

    /// <summary>Reads a stream to its end.</summary>
    public static async Task<List<ChatResponseUpdate>> ToListAsync(IAsyncEnumerable<ChatResponseUpdate> updates)
    {
        var list = new List<ChatResponseUpdate>();
        await foreach (var update in updates)
        {
            list.Add(update);
        }

        return list;
    }
}
