using System.Globalization;
using System.Text.RegularExpressions;

namespace HybridInference.OpenAI.Wire;

/// <summary>
/// Reads the two sizes of a context-length rejection, the tokens the request needed and the window it did not fit,
/// from the fields a server gives (llama.cpp's <c>n_prompt_tokens</c>, <c>n_ctx</c>) or else from its message, in each
/// server's wording (see the fixtures' README):
/// <list type="bullet">
/// <item>llama.cpp: <c>request (5274 tokens) exceeds the available context size (4096 tokens)</c>, <c>input (N tokens) is larger than the max context size (M tokens)</c>;</item>
/// <item>vLLM: <c>maximum context length is 4096 tokens. However, your request has 5000 input tokens</c>; older
/// <c>you requested 5024 tokens (5000 in the messages, 24 in the completion)</c>; <c>'max_tokens' ... is too large: 1024. ... your request has 3500 input tokens</c> (needs 4524);</item>
/// <item>OpenAI: <c>maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens</c>;</item>
/// <item>TGI: <c>`inputs` tokens + `max_new_tokens` must be &lt;= 4096. Given: 4000 `inputs` tokens and 200 `max_new_tokens`</c> (needs 4200),
/// <c>`inputs` must have less than 4095 tokens. Given: 4096</c>.</item>
/// </list>
/// Either size is null when the server does not say it.
/// </summary>
internal static partial class ContextSizes
{
    /// <summary>Reads the sizes; the fields win over the message.</summary>
    /// <param name="message">The server's own message (not scrubbed: only numbers are taken from it).</param>
    /// <param name="promptTokens">The prompt's tokens, when the server gave them as a field.</param>
    /// <param name="contextWindow">The window, when the server gave it as a field.</param>
    public static (int? RequiredTokens, int? ContextWindow) Read(string message, int? promptTokens, int? contextWindow) =>
        (promptTokens ?? Required(message), contextWindow ?? First(WindowText().Match(message)));

    private static int? Required(string message)
    {
        // The output limit the request asked for counts too where the server names both parts.
        if (OutputTooLargeText().Match(message) is { Success: true } output)
        {
            return Sum(output);
        }

        if (TgiTotalText().Match(message) is { Success: true } total)
        {
            return Sum(total);
        }

        return First(RequiredText().Match(message));
    }

    private static int? First(Match match)
    {
        if (!match.Success)
        {
            return null;
        }

        foreach (Group group in match.Groups)
        {
            if (group.Success && group.Name != "0")
            {
                return Parse(group.Value);
            }
        }

        return null;
    }

    private static int? Sum(Match match) =>
        Parse(match.Groups[1].Value) is { } first && Parse(match.Groups[2].Value) is { } second && first <= int.MaxValue - second ? first + second : null;

    private static int? Parse(string digits) =>
        int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;

    [GeneratedRegex(@"maximum context length is (\d+)|context size \((\d+) tokens\)|must be <= (\d+)|must have less than (\d+) tokens", RegexOptions.IgnoreCase)]
    private static partial Regex WindowText();

    [GeneratedRegex(@"you requested (\d+) tokens|resulted in (\d+) tokens|request has (\d+) input tokens|(?:request|input) \((\d+) tokens\)|Given: (\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex RequiredText();

    [GeneratedRegex(@"too large: (\d+)\..*?request has (\d+) input tokens", RegexOptions.IgnoreCase)]
    private static partial Regex OutputTooLargeText();

    [GeneratedRegex(@"Given: (\d+) `inputs` tokens and (\d+) `max_new_tokens`", RegexOptions.IgnoreCase)]
    private static partial Regex TgiTotalText();
}
