using System.Text.Json;

namespace HybridInference.Fallback;

/// <summary>
/// Finds the JSON document in what a local model wrote around it: a <c>&lt;think&gt;</c> block of a reasoning model,
/// a fenced code block (<c>```json</c>), or prose before and after. The candidate must parse; validation follows.
/// </summary>
internal static class JsonExtraction
{
    /// <summary>How many opening brackets are tried as the start of the document before giving up.</summary>
    private const int MaxCandidates = 16;

    /// <summary>Finds a JSON object or array in <paramref name="text"/>, other than the text as a whole.</summary>
    /// <param name="text">The model's answer, which did not parse as JSON.</param>
    /// <param name="tryParse">Parses a candidate; <see langword="null"/> when it is not JSON.</param>
    /// <returns>The JSON text and its parsed document (the caller disposes it), or <see langword="null"/> when none was found.</returns>
    public static (string Json, JsonDocument Document)? Extract(string text, Func<string, JsonDocument?> tryParse)
    {
        var body = StripThinking(text);
        if (!ReferenceEquals(body, text) && tryParse(body.Trim()) is { } thought)
        {
            return (body.Trim(), thought);
        }

        if (FencedBlock(body) is { } fenced && tryParse(fenced) is { } fencedDocument)
        {
            return (fenced, fencedDocument);
        }

        var start = 0;
        for (var attempt = 0; attempt < MaxCandidates; attempt++)
        {
            var open = body.AsSpan(start).IndexOfAny('{', '[');
            if (open < 0)
            {
                return null;
            }

            open += start;
            var close = MatchingClose(body, open);
            if (close > open)
            {
                var candidate = body[open..(close + 1)];
                if (tryParse(candidate) is { } document)
                {
                    return (candidate, document);
                }
            }

            start = open + 1;
        }

        return null;
    }

    private static string StripThinking(string text)
    {
        var trimmed = text.AsSpan().TrimStart();
        if (!trimmed.StartsWith("<think>", StringComparison.OrdinalIgnoreCase))
        {
            return text;
        }

        var end = text.IndexOf("</think>", StringComparison.OrdinalIgnoreCase);
        return end < 0 ? text : text[(end + "</think>".Length)..];
    }

    private static string? FencedBlock(string text)
    {
        var fence = text.IndexOf("```", StringComparison.Ordinal);
        if (fence < 0)
        {
            return null;
        }

        // The info string (json, JSON, jsonc, ...) runs to the end of the fence's line.
        var lineEnd = text.IndexOf('\n', fence + 3);
        if (lineEnd < 0)
        {
            return null;
        }

        var closing = text.IndexOf("```", lineEnd + 1, StringComparison.Ordinal);
        return closing < 0 ? null : text[(lineEnd + 1)..closing].Trim();
    }

    /// <summary>Finds the bracket that closes the one at <paramref name="open"/>, skipping brackets inside JSON strings; -1 if none.</summary>
    private static int MatchingClose(string text, int open)
    {
        var depth = 0;
        var inString = false;
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '{' or '[':
                    depth++;
                    break;
                case '}' or ']':
                    depth--;
                    if (depth == 0)
                    {
                        return i;
                    }

                    break;
            }
        }

        return -1;
    }
}
