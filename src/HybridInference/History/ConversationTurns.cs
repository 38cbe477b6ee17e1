using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HybridInference.History;

/// <summary>
/// A conversation cut into what history fitting may keep or leave out: the system messages (always kept) and the turns,
/// each a user message and everything after it up to the next user message, so that a tool call and its result are
/// always in the same turn and the last user message starts the last turn.
/// </summary>
/// <remarks>Built only when a conversation is to be fitted; never on the ordinary path.</remarks>
internal sealed class ConversationTurns
{
    private readonly List<ChatMessage> _rest;
    private readonly List<int> _starts;
    private UInt128[]? _prefixHashes;

    private ConversationTurns(List<ChatMessage> pinned, List<ChatMessage> rest, List<int> starts)
    {
        Pinned = pinned;
        _rest = rest;
        _starts = starts;
    }

    /// <summary>Gets the system messages, in their order; they are kept whatever is left out.</summary>
    public List<ChatMessage> Pinned { get; }

    /// <summary>Gets the number of turns.</summary>
    public int Count => _starts.Count;

    /// <summary>Cuts a conversation into its system messages and its turns.</summary>
    public static ConversationTurns Of(IEnumerable<ChatMessage> messages)
    {
        var pinned = new List<ChatMessage>();
        var rest = new List<ChatMessage>();
        var starts = new List<int>();
        foreach (var message in messages)
        {
            if (message.Role == ChatRole.System)
            {
                pinned.Add(message);
                continue;
            }

            if (starts.Count == 0 || message.Role == ChatRole.User)
            {
                starts.Add(rest.Count);
            }

            rest.Add(message);
        }

        return new ConversationTurns(pinned, rest, starts);
    }

    /// <summary>The messages sent when the turns before <paramref name="firstKept"/> are left out: system messages, the summary if any, the turns kept.</summary>
    public List<ChatMessage> Keep(int firstKept, ChatMessage? summary)
    {
        var start = _starts[firstKept];
        var kept = new List<ChatMessage>(Pinned.Count + 1 + _rest.Count - start);
        kept.AddRange(Pinned);
        if (summary is not null)
        {
            kept.Add(summary);
        }

        for (var i = start; i < _rest.Count; i++)
        {
            kept.Add(_rest[i]);
        }

        return kept;
    }

    /// <summary>Writes turn <paramref name="turn"/> as plain text, the way a summarizer reads it: one line per part, named by role.</summary>
    public void Transcribe(int turn, StringBuilder text)
    {
        var end = turn + 1 < _starts.Count ? _starts[turn + 1] : _rest.Count;
        for (var i = _starts[turn]; i < end; i++)
        {
            var message = _rest[i];
            foreach (var content in message.Contents)
            {
                switch (content)
                {
                    case TextContent { Text: { Length: > 0 } value }:
                        text.Append(message.Role.Value).Append(": ").AppendLine(value);
                        break;
                    case FunctionCallContent call:
                        text.Append(message.Role.Value).Append(" called ").Append(call.Name).Append('(')
                            .Append(call.Arguments is null ? string.Empty : JsonSerializer.Serialize(call.Arguments, HistoryJson.Default.IDictionaryStringObject))
                            .AppendLine(")");
                        break;
                    case FunctionResultContent result:
                        text.Append("result of ").Append(result.CallId).Append(": ").AppendLine(result.Result?.ToString());
                        break;
                }
            }
        }
    }

    /// <summary>
    /// The hash of the first <paramref name="turns"/> turns (1 to <see cref="Count"/>), chained turn by turn: the key a
    /// summary of exactly those turns is cached under, the same for every conversation that starts with them.
    /// </summary>
    public UInt128 PrefixHash(int turns)
    {
        if (_prefixHashes is null)
        {
            var hashes = new UInt128[_starts.Count + 1];
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            var text = new StringBuilder();
            for (var turn = 0; turn < _starts.Count; turn++)
            {
                text.Clear();
                Transcribe(turn, text);
                var bytes = Encoding.UTF8.GetBytes(text.ToString());
                var input = new byte[16 + bytes.Length];
                BitConverter.TryWriteBytes(input.AsSpan(0, 16), hashes[turn]);
                bytes.CopyTo(input, 16);
                SHA256.HashData(input, digest);
                hashes[turn + 1] = BitConverter.ToUInt128(digest);
            }

            _prefixHashes = hashes;
        }

        return _prefixHashes[turns];
    }
}
