using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using HybridInference.Tokens;
using Microsoft.ML.Tokenizers;

namespace HybridInference.Tokenizers;

/// <summary>
/// Counts prompts exactly with one model's tokenizer, as the chat format spends them: per message
/// <see cref="TokensPerMessage"/> for its delimiters, the role's tokens and the text's; <see cref="TokensPerPrompt"/>
/// for the reply's priming (OpenAI's accounting for <c>cl100k_base</c> and <c>o200k_base</c>; other chat templates
/// differ by a few tokens per message).
/// </summary>
/// <remarks>
/// Counts are cached per text in a <see cref="ConditionalWeakTable{TKey, TValue}"/> keyed on the string instance:
/// a chat that resends its history resends the same strings, so only the new message is tokenized; a string is
/// immutable, so a cached count can never be stale (a message whose text is replaced gets a new string); and an entry
/// lives exactly as long as its string, so the cache is bounded by what the application still holds, with no size
/// to tune and no hashing of the text. Texts rebuilt each turn (a history deserialized anew per request) miss the
/// cache and cost one tokenization each, as without it. Thread-safe.
/// </remarks>
internal sealed class TokenizerTokenCounter : ITokenCounter
{
    /// <summary>Tokens for a message's delimiters, besides its role and text.</summary>
    public const int TokensPerMessage = 3;

    /// <summary>Tokens that prime the reply.</summary>
    public const int TokensPerPrompt = 3;

    private readonly Tokenizer _tokenizer;
    private readonly ConditionalWeakTable<string, StrongBox<int>> _counts = [];
    private readonly int _system;
    private readonly int _user;
    private readonly int _assistant;
    private readonly int _tool;
    private long _tokenized;

    public TokenizerTokenCounter(Tokenizer tokenizer, string description)
    {
        _tokenizer = tokenizer;
        Description = description;
        _system = CountUncached(ChatRole.System.Value);
        _user = CountUncached(ChatRole.User.Value);
        _assistant = CountUncached(ChatRole.Assistant.Value);
        _tool = CountUncached(ChatRole.Tool.Value);
    }

    /// <summary>Gets what the tokenizer is (an encoding name or a kind of file), for messages; never a full path.</summary>
    public string Description { get; }

    /// <summary>Gets how many texts this counter has run its tokenizer over (not those it found in its cache).</summary>
    internal long TextsTokenized => Interlocked.Read(ref _tokenized);

    public int CountPromptTokens(IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        ChatFormat.CountPromptTokens(new Format(this), messages, options);

    /// <summary>Counts one text's tokens, from the cache when this string was counted before.</summary>
    /// <param name="text">The text.</param>
    /// <returns>Its tokens.</returns>
    public int CountText(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        if (_counts.TryGetValue(text, out var cached))
        {
            return cached.Value;
        }

        var count = CountUncached(text);
        _counts.TryAdd(text, new StrongBox<int>(count));
        return count;
    }

    private int CountUncached(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        Interlocked.Increment(ref _tokenized);
        return _tokenizer.CountTokens(text, considerPreTokenization: true, considerNormalization: true);
    }

    private int CountMessage(ChatMessage message)
    {
        var role = message.Role;
        var total = TokensPerMessage + (role == ChatRole.User ? _user
            : role == ChatRole.Assistant ? _assistant
            : role == ChatRole.System ? _system
            : role == ChatRole.Tool ? _tool
            : CountText(role.Value));
        return message.AuthorName is { } name ? total + 1 + CountText(name) : total;
    }

    private int CountArguments(IDictionary<string, object?>? arguments)
    {
        if (arguments is null)
        {
            return 0;
        }

        // Sent as a JSON object: the names, the values as text, and about three tokens of punctuation per argument.
        var total = 1;
        foreach (var (name, value) in arguments)
        {
            total += 3 + CountText(name) + (value is string s ? CountText(s) : CountUncached(value?.ToString()));
        }

        return total;
    }

    /// <summary>
    /// This tokenizer's costs of the chat format: per message its delimiters, role and author's name; texts from the
    /// cache; tool arguments and results as the wire sends them; a schema (rebuilt as text per request) uncached.
    /// </summary>
    private readonly struct Format(TokenizerTokenCounter owner) : IChatFormatCounter
    {
        public int Priming => TokensPerPrompt;

        public int InstructionsOverhead => TokensPerMessage + owner._system;

        public int Message(ChatMessage message) => owner.CountMessage(message);

        public int Text(string? text) => owner.CountText(text);

        public int Call(FunctionCallContent call) => owner.CountText(call.Name) + owner.CountArguments(call.Arguments);

        public int Result(FunctionResultContent result) =>
            result.Result is string s ? owner.CountText(s) : owner.CountUncached(result.Result?.ToString());

        public int Schema(string json) => owner.CountUncached(json);
    }
}
