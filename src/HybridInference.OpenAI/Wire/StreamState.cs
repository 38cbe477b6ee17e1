using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HybridInference.OpenAI.Wire;

/// <summary>What a stream has said so far that spans chunks: tool-call fragments, the real usage, whether it finished.</summary>
internal sealed class StreamState
{
    private SortedDictionary<int, (string? Id, string? Name, StringBuilder Arguments)>? _toolCalls;

    public UsageDetails? Usage { get; set; }

    public bool Finished { get; set; }

    public void AddToolCallFragment(JsonElement call)
    {
        var index = call.TryGetProperty("index"u8, out var i) && i.TryGetInt32(out var n) ? n : 0;
        _toolCalls ??= [];
        if (!_toolCalls.TryGetValue(index, out var entry))
        {
            entry = (null, null, new StringBuilder());
        }

        if (call.TryGetProperty("id"u8, out var id) && id.ValueKind == JsonValueKind.String)
        {
            entry.Id = id.GetString();
        }

        if (call.TryGetProperty("function"u8, out var function) && function.ValueKind == JsonValueKind.Object)
        {
            if (function.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String)
            {
                entry.Name = name.GetString();
            }

            if (function.TryGetProperty("arguments"u8, out var arguments) && arguments.ValueKind == JsonValueKind.String)
            {
                entry.Arguments.Append(arguments.GetString());
            }
        }

        _toolCalls[index] = entry;
    }

    public IEnumerable<FunctionCallContent> TakeToolCalls()
    {
        if (_toolCalls is null)
        {
            yield break;
        }

        foreach (var (_, (id, name, arguments)) in _toolCalls)
        {
            yield return ChatResponseReader.ToFunctionCall(id, name, arguments.ToString());
        }

        _toolCalls = null;
    }
}
