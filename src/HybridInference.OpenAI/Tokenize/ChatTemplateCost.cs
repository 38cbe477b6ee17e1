namespace HybridInference.OpenAI.Tokenize;

/// <summary>
/// The tokens a chat template adds around the messages' own text, for servers that count one text at a time
/// (llama.cpp, LocalAI): a prompt is <see cref="First"/> (the template's start, the first message's wrapping and the
/// reply's priming), plus <see cref="PerMessage"/> for each further message that is not a system message, plus
/// <see cref="PerSystem"/> for each system message (the instructions included), plus the texts' own tokens.
/// </summary>
/// <param name="First">The tokens of a one-message chat besides its text.</param>
/// <param name="PerMessage">The tokens the template adds per further user, assistant or tool message.</param>
/// <param name="PerSystem">The tokens the template adds per system message.</param>
internal sealed record ChatTemplateCost(int First, int PerMessage, int PerSystem)
{
    /// <summary>
    /// What is assumed where the server renders no template on request (LocalAI): OpenAI's accounting for its chat format
    /// (3 tokens per message, 3 to prime the reply), one more per message for the role, and one for the start of the prompt.
    /// </summary>
    public static readonly ChatTemplateCost Assumed = new(First: 8, PerMessage: 4, PerSystem: 4);

    /// <summary>
    /// Derives the costs from probe conversations of a text of <paramref name="text"/> tokens, each counted as the
    /// server counts a chat prompt: one user message (<paramref name="user"/>), user-assistant-user
    /// (<paramref name="userAssistantUser"/>), system-user (<paramref name="systemUser"/>). Rounded up where the
    /// template differs by role, so that a prompt is never counted smaller than it is.
    /// </summary>
    public static ChatTemplateCost Measure(int text, int user, int userAssistantUser, int systemUser) => new(
        First: Math.Max(0, user - text),
        PerMessage: Math.Max(0, (userAssistantUser - user - (2 * text) + 1) / 2),
        PerSystem: Math.Max(0, systemUser - user - text));

    /// <summary>The template's tokens for a chat of this many system and other messages.</summary>
    public int For(int systemMessages, int otherMessages) => First + (PerSystem * systemMessages) + (PerMessage * Math.Max(0, otherMessages - 1));
}
