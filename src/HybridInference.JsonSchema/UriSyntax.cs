namespace HybridInference.JsonSchema;

/// <summary>
/// Checks URIs and URI references against the grammar of RFC 3986 (ASCII only, percent-encoding well formed,
/// brackets only around an IP literal host, one userinfo, a numeric port), which <see cref="Uri"/> is too lenient for.
/// </summary>
internal static class UriSyntax
{
    private const string SubDelims = "!$&'()*+,;=";

    /// <summary>Checks <paramref name="text"/> as a URI (<paramref name="requireScheme"/>) or a URI reference.</summary>
    public static bool IsValid(string text, bool requireScheme)
    {
        var rest = text.AsSpan();
        var scheme = SchemeLength(rest);
        if (scheme > 0)
        {
            rest = rest[(scheme + 1)..];
        }
        else if (requireScheme)
        {
            return false;
        }

        var fragmentStart = rest.IndexOf('#');
        if (fragmentStart >= 0)
        {
            if (!IsPart(rest[(fragmentStart + 1)..], "/?:@"))
            {
                return false;
            }

            rest = rest[..fragmentStart];
        }

        var queryStart = rest.IndexOf('?');
        if (queryStart >= 0)
        {
            if (!IsPart(rest[(queryStart + 1)..], "/?:@"))
            {
                return false;
            }

            rest = rest[..queryStart];
        }

        if (rest.StartsWith("//"))
        {
            var authorityEnd = rest[2..].IndexOf('/');
            var authority = authorityEnd < 0 ? rest[2..] : rest.Slice(2, authorityEnd);
            if (!IsAuthority(authority))
            {
                return false;
            }

            rest = authorityEnd < 0 ? [] : rest[(2 + authorityEnd)..];
        }
        else if (scheme == 0)
        {
            // In a relative-path reference, a colon in the first segment would read as a scheme.
            var firstSegment = rest.IndexOf('/') is var slash and >= 0 ? rest[..slash] : rest;
            if (firstSegment.Contains(':'))
            {
                return false;
            }
        }

        return IsPart(rest, "/:@");
    }

    private static int SchemeLength(ReadOnlySpan<char> text)
    {
        var colon = text.IndexOf(':');
        if (colon <= 0 || !char.IsAsciiLetter(text[0]))
        {
            return 0;
        }

        foreach (var c in text[..colon])
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
            {
                return 0;
            }
        }

        return colon;
    }

    private static bool IsAuthority(ReadOnlySpan<char> authority)
    {
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            if (!IsPart(authority[..at], ":"))
            {
                return false;
            }

            authority = authority[(at + 1)..];
        }

        if (authority.StartsWith("["))
        {
            var close = authority.IndexOf(']');
            if (close < 0 || !SchemaFormats.IsIPv6Literal(authority[1..close].ToString()))
            {
                return false;
            }

            authority = authority[(close + 1)..];
            return authority.IsEmpty || (authority[0] == ':' && IsPort(authority[1..]));
        }

        var colon = authority.LastIndexOf(':');
        if (colon >= 0)
        {
            if (!IsPort(authority[(colon + 1)..]))
            {
                return false;
            }

            authority = authority[..colon];
        }

        return IsPart(authority, string.Empty);
    }

    private static bool IsPort(ReadOnlySpan<char> port)
    {
        foreach (var c in port)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Checks characters: unreserved, sub-delims, well-formed percent-encodings, and <paramref name="extra"/>.</summary>
    private static bool IsPart(ReadOnlySpan<char> part, string extra)
    {
        for (var i = 0; i < part.Length; i++)
        {
            var c = part[i];
            if (c == '%')
            {
                if (i + 2 >= part.Length || !char.IsAsciiHexDigit(part[i + 1]) || !char.IsAsciiHexDigit(part[i + 2]))
                {
                    return false;
                }

                i += 2;
            }
            else if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '.' or '_' or '~') && !SubDelims.Contains(c) && !extra.Contains(c))
            {
                return false;
            }
        }

        return true;
    }
}
