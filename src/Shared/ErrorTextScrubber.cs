using System.Text;

namespace HybridInference.Scrubbing;

/// <summary>
/// Cleans a server's error text before it reaches an exception, a log or a status: removes the API key in any form a
/// server might echo it, and every stretch of the request's own text, then shortens it. Compiled into each provider
/// package (source shared from <c>src/Shared</c>).
/// </summary>
/// <remarks>
/// <para>
/// The key is removed exact, in any casing, URL-encoded, hex-encoded and base64 or base64url encoded at any alignment
/// (so also inside the encoding of <c>Bearer &lt;key&gt;</c> or <c>user:&lt;key&gt;</c>, with or without padding), and
/// every stretch of <see cref="KeyFragmentLength"/> characters of these forms (a key's prefix or tail alone, a cut-off
/// echo). Masked echoes are removed too: a run of mask characters (<c>*</c>, <c>x</c>, <c>.</c>, <c>•</c>, <c>#</c>,
/// <c>…</c>) next to at least <see cref="MinMaskedReveal"/> characters of the key's start before it or of its end after
/// it (<c>sk-abc...xyz</c>, <c>sk-abcd****</c>, <c>sk-proj-****abcd</c>). Keys shorter than <see cref="MinKeyLength"/>
/// are removed only exact, so that a short key does not take innocent text with it.
/// </para>
/// <para>Immutable and thread-safe; built once per key. Only error paths use it.</para>
/// </remarks>
internal sealed class ErrorTextScrubber
{
    /// <summary>The longest error text an exception carries.</summary>
    public const int MaxMessageLength = 400;

    /// <summary>The shortest key whose derived forms (casing, encodings, fragments, masks) are searched for; shorter keys only exact.</summary>
    public const int MinKeyLength = 12;

    /// <summary>How many characters of a key (or of an encoding of it) in a row count as an echo of it.</summary>
    public const int KeyFragmentLength = 10;

    /// <summary>How many characters of the key's start or end next to a mask count as a masked echo of it.</summary>
    public const int MinMaskedReveal = 4;

    /// <summary>How much of the request's text must appear in a server's message to count as an echo of it.</summary>
    public const int MinEchoLength = 16;

    /// <summary>How much of a server's message is searched (an echo shrinks to a placeholder, so more than is shown).</summary>
    public const int MaxSearchedLength = 64 * 1024;

    /// <summary>The placeholder of a removed key.</summary>
    public const string KeyPlaceholder = "***";

    /// <summary>The placeholder of a removed stretch of the request's text.</summary>
    public const string RequestPlaceholder = "[prompt text]";

    private const byte RequestMark = 1;
    private const byte KeyMark = 2;

    /// <summary>The longest masked reveal looked at; longer reveals are fragments, found as such.</summary>
    private const int MaxMaskedReveal = 16;

    /// <summary>An odd base for the rolling hash that finds echoes.</summary>
    private const ulong HashBase = 1_000_003;

    /// <summary>The scrubber of the key seen last, reused while errors keep coming for the same key.</summary>
    private static ErrorTextScrubber? s_last;

    private static readonly ErrorTextScrubber None = new(null);

    private readonly string? _key;
    private readonly string? _foldedKey;
    private readonly string[] _foldedForms;

    /// <summary>Initializes a new instance of the <see cref="ErrorTextScrubber"/> class.</summary>
    /// <param name="key">The API key to remove; none when <see langword="null"/> or empty.</param>
    public ErrorTextScrubber(string? key)
    {
        _key = string.IsNullOrEmpty(key) ? null : key;
        if (_key is null || _key.Length < MinKeyLength)
        {
            _foldedForms = [];
            return;
        }

        _foldedKey = Fold(_key);
        List<string> forms = [_foldedKey];
        var bytes = Encoding.UTF8.GetBytes(_key);
        AddForm(forms, Uri.EscapeDataString(_key));
        AddForm(forms, Convert.ToHexString(bytes));
        for (var alignment = 0; alignment < 3; alignment++)
        {
            var core = Base64Core(bytes, alignment);
            AddForm(forms, core);
            AddForm(forms, core.Replace('+', '-').Replace('/', '_'));
        }

        _foldedForms = [.. forms];
    }

    /// <summary>Gets a scrubber for <paramref name="key"/>, reusing the last one built when the key is the same.</summary>
    /// <param name="key">The API key to remove.</param>
    /// <returns>The scrubber.</returns>
    public static ErrorTextScrubber For(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return None;
        }

        var last = Volatile.Read(ref s_last);
        if (last is not null && string.Equals(last._key, key, StringComparison.Ordinal))
        {
            return last;
        }

        var scrubber = new ErrorTextScrubber(key);
        Volatile.Write(ref s_last, scrubber);
        return scrubber;
    }

    /// <summary>
    /// Removes the key (as <c>***</c>) and every stretch of the request's text (as <c>[prompt text]</c>) from a
    /// server's message, then shortens it to <see cref="MaxMessageLength"/> characters.
    /// </summary>
    /// <param name="message">The server's text.</param>
    /// <param name="requestTexts">The texts the request sent (from <see cref="RequestTexts"/>), or none.</param>
    /// <returns>The clean text.</returns>
    public string Scrub(string message, IReadOnlyList<string>? requestTexts = null)
    {
        if (_key is not null)
        {
            message = message.Replace(_key, KeyPlaceholder, StringComparison.Ordinal);
        }

        // Only the start of a huge message can show after the cut below, so only the start is searched.
        if (message.Length > MaxSearchedLength)
        {
            message = message[..MaxSearchedLength];
        }

        var hasRequest = requestTexts is { Count: > 0 };
        if (_foldedForms.Length > 0 || hasRequest)
        {
            var marks = new byte[message.Length];
            var found = false;
            if (_foldedForms.Length > 0)
            {
                var folded = Fold(message);
                found |= MarkEchoes(folded, _foldedForms, KeyFragmentLength, marks, KeyMark);
                found |= MarkMasked(folded, _foldedKey!, marks);
            }

            if (hasRequest)
            {
                found |= MarkEchoes(message, requestTexts!, MinEchoLength, marks, RequestMark);
            }

            if (found)
            {
                message = Replace(message, marks);
            }
        }

        return message.Length <= MaxMessageLength ? message : string.Concat(message.AsSpan(0, MaxMessageLength - 3), "...");
    }

    private static void AddForm(List<string> forms, string form)
    {
        var folded = Fold(form);
        if (folded.Length >= KeyFragmentLength && !forms.Contains(folded))
        {
            forms.Add(folded);
        }
    }

    /// <summary>
    /// The base64 characters that depend on the key's bytes alone when the key starts <paramref name="alignment"/> bytes
    /// into a 3-byte group: they stand in every base64 text that encodes the key at that alignment, whatever comes
    /// before or after it and with or without padding.
    /// </summary>
    private static string Base64Core(byte[] key, int alignment)
    {
        var bytes = new byte[alignment + key.Length];
        key.CopyTo(bytes, alignment);
        var encoded = Convert.ToBase64String(bytes);
        var skip = alignment switch { 0 => 0, 1 => 2, _ => 3 };
        var end = (4 * (bytes.Length / 3)) + (bytes.Length % 3);
        return end > skip ? encoded[skip..end] : string.Empty;
    }

    /// <summary>Upper-cases each character (length-preserving), so that positions in the folded text are positions in the original.</summary>
    private static string Fold(string text) => string.Create(text.Length, text, static (span, source) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = char.ToUpperInvariant(source[i]);
        }
    });

    private static bool IsMask(char c) => c is '*' or 'X' or 'x' or '.' or '•' or '#' or '…';

    /// <summary>Marks masked echoes: a run of mask characters next to the key's start before it or its end after it.</summary>
    private static bool MarkMasked(string folded, string key, byte[] marks)
    {
        var found = false;
        var i = 0;
        while (i < folded.Length)
        {
            if (!IsMask(folded[i]))
            {
                i++;
                continue;
            }

            var start = i;
            var weight = 0;
            while (i < folded.Length && IsMask(folded[i]))
            {
                weight += folded[i] == '…' ? 3 : 1;
                i++;
            }

            if (weight < 3)
            {
                continue;
            }

            var prefix = 0;
            for (var p = Math.Min(Math.Min(start, key.Length - 1), MaxMaskedReveal); p >= MinMaskedReveal && prefix == 0; p--)
            {
                if (folded.AsSpan(start - p, p).SequenceEqual(key.AsSpan(0, p)))
                {
                    prefix = p;
                }
            }

            var suffix = 0;
            for (var s = Math.Min(Math.Min(folded.Length - i, key.Length - 1), MaxMaskedReveal); s >= 1 && suffix == 0; s--)
            {
                if (folded.AsSpan(i, s).SequenceEqual(key.AsSpan(key.Length - s, s)))
                {
                    suffix = s;
                }
            }

            if (prefix >= MinMaskedReveal || suffix >= MinMaskedReveal)
            {
                // A shorter reveal on the other side is part of the same echo ("sk-" before the mask of "sk-...abcd").
                var from = start - (prefix > 0 ? prefix : CommonTail(folded, start, key));
                marks.AsSpan(from, i + suffix - from).Fill(KeyMark);
                found = true;
            }
        }

        return found;
    }

    /// <summary>The longest start of the key, shorter than <see cref="MinMaskedReveal"/>, that ends at <paramref name="end"/>.</summary>
    private static int CommonTail(string folded, int end, string key)
    {
        for (var p = Math.Min(Math.Min(end, key.Length), MinMaskedReveal - 1); p >= 1; p--)
        {
            if (folded.AsSpan(end - p, p).SequenceEqual(key.AsSpan(0, p)))
            {
                return p;
            }
        }

        return 0;
    }

    /// <summary>
    /// Marks every stretch of <paramref name="message"/> that also stands in one of <paramref name="sources"/>, at least
    /// <paramref name="window"/> characters long: a whole quote, its start, or a fragment from its middle alike.
    /// </summary>
    /// <remarks>
    /// Rabin–Karp over windows of <paramref name="window"/> characters: the message's windows are hashed once, each
    /// source is rolled over once, and every hash hit is compared character by character, so the work is linear in
    /// the two lengths (the message comes from an error body, the request may be long).
    /// </remarks>
    private static bool MarkEchoes(string message, IReadOnlyList<string> sources, int window, byte[] marks, byte mark)
    {
        if (message.Length < window)
        {
            return false;
        }

        var leadingPower = Power(HashBase, window - 1);

        // Message windows by hash; equal hashes chain through `next`.
        var count = message.Length - window + 1;
        var first = new Dictionary<ulong, int>(count);
        var next = new int[count];
        var hash = Hash(message.AsSpan(0, window));
        for (var i = 0; ; i++)
        {
            next[i] = first.TryGetValue(hash, out var head) ? head : -1;
            first[hash] = i;
            if (i + 1 == count)
            {
                break;
            }

            hash = Roll(hash, message[i], message[i + window], leadingPower);
        }

        var found = false;
        foreach (var text in sources)
        {
            if (text.Length < window)
            {
                continue;
            }

            hash = Hash(text.AsSpan(0, window));
            for (var j = 0; ; j++)
            {
                if (first.TryGetValue(hash, out var at))
                {
                    // Once every message window with this hash has proved an echo, the chain is done with.
                    var settled = true;
                    for (; at >= 0; at = next[at])
                    {
                        if (message.AsSpan(at, window).SequenceEqual(text.AsSpan(j, window)))
                        {
                            var marked = marks.AsSpan(at, window);
                            for (var k = 0; k < marked.Length; k++)
                            {
                                marked[k] = Math.Max(marked[k], mark);
                            }

                            found = true;
                        }
                        else
                        {
                            settled = false; // A collision: a later window of the source may still match it.
                        }
                    }

                    if (settled)
                    {
                        first.Remove(hash);
                    }
                }

                if (j + window == text.Length || first.Count == 0)
                {
                    break;
                }

                hash = Roll(hash, text[j], text[j + window], leadingPower);
            }

            if (first.Count == 0)
            {
                break;
            }
        }

        return found;
    }

    /// <summary>Writes the message with every marked run replaced by its placeholder.</summary>
    private static string Replace(string message, byte[] marks)
    {
        var scrubbed = new StringBuilder(message.Length);
        for (var i = 0; i < message.Length; i++)
        {
            var mark = marks[i];
            if (mark == 0)
            {
                scrubbed.Append(message[i]);
            }
            else if (i == 0 || marks[i - 1] != mark)
            {
                scrubbed.Append(mark == KeyMark ? KeyPlaceholder : RequestPlaceholder);
            }
        }

        return scrubbed.ToString();
    }

    /// <summary>The polynomial hash of one window (base <see cref="HashBase"/>, modulo 2^64).</summary>
    private static ulong Hash(ReadOnlySpan<char> window)
    {
        ulong hash = 0;
        foreach (var c in window)
        {
            hash = (hash * HashBase) + c;
        }

        return hash;
    }

    /// <summary>Moves a window's hash one character on: <paramref name="leaving"/> drops out, <paramref name="entering"/> comes in.</summary>
    private static ulong Roll(ulong hash, char leaving, char entering, ulong leadingPower) => ((hash - (leaving * leadingPower)) * HashBase) + entering;

    private static ulong Power(ulong value, int exponent)
    {
        ulong result = 1;
        for (var i = 0; i < exponent; i++)
        {
            result *= value;
        }

        return result;
    }
}
