using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace HybridInference.JsonSchema;

/// <summary>
/// The string formats <c>format</c> can assert when asked to: date-time, date, time, duration, email, hostname,
/// ipv4, ipv6, uri, uri-reference, uuid, json-pointer and regex. An unknown format always passes, as the
/// specification asks.
/// </summary>
internal static partial class SchemaFormats
{
    /// <summary>Checks a string instance against <paramref name="format"/>; non-strings and unknown formats pass.</summary>
    public static bool IsValid(string format, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return true;
        }

        var text = value.GetString()!;
        return format switch
        {
            "date-time" => IsDateTime(text),
            "date" => IsDate(text),
            "time" => IsTime(text),
            "duration" => DurationPattern().IsMatch(text),
            "email" => IsEmail(text),
            "hostname" => IsHostname(text),
            "ipv4" => IsIPv4(text),
            "ipv6" => IsIPv6(text),
            "uri" => UriSyntax.IsValid(text, requireScheme: true),
            "uri-reference" => UriSyntax.IsValid(text, requireScheme: false),
            "uuid" => UuidPattern().IsMatch(text),
            "json-pointer" => IsJsonPointer(text),
            "regex" => IsRegex(text),
            _ => true,
        };
    }

    private static bool IsDateTime(string text)
    {
        var t = text.IndexOfAny(['T', 't']);
        return t == 10 && IsDate(text[..10]) && IsTime(text[11..]);
    }

    private static bool IsDate(string text) =>
        DatePattern().IsMatch(text)
        && DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    private static bool IsTime(string text)
    {
        var match = TimePattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        var hour = int.Parse(match.Groups["h"].ValueSpan, CultureInfo.InvariantCulture);
        var minute = int.Parse(match.Groups["m"].ValueSpan, CultureInfo.InvariantCulture);
        var second = int.Parse(match.Groups["s"].ValueSpan, CultureInfo.InvariantCulture);
        if (hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }

        if (second == 60)
        {
            // A leap second is 23:59:60 in UTC only.
            var offset = 0;
            if (match.Groups["oh"].Success)
            {
                offset = (int.Parse(match.Groups["oh"].ValueSpan, CultureInfo.InvariantCulture) * 60) + int.Parse(match.Groups["om"].ValueSpan, CultureInfo.InvariantCulture);
                offset = match.Groups["sign"].Value == "-" ? -offset : offset;
            }

            var utc = (((hour * 60) + minute - offset) % 1440 + 1440) % 1440;
            return utc == (23 * 60) + 59;
        }

        return !match.Groups["oh"].Success
            || (int.Parse(match.Groups["oh"].ValueSpan, CultureInfo.InvariantCulture) <= 23 && int.Parse(match.Groups["om"].ValueSpan, CultureInfo.InvariantCulture) <= 59);
    }

    private static bool IsEmail(string text)
    {
        var at = text.LastIndexOf('@');
        if (at <= 0 || at == text.Length - 1)
        {
            return false;
        }

        var local = text[..at];
        var domain = text[(at + 1)..];
        var quoted = local.Length >= 2 && local[0] == '"' && local[^1] == '"';
        if (!quoted && !DotAtomPattern().IsMatch(local))
        {
            return false;
        }

        if (domain.StartsWith('[') && domain.EndsWith(']'))
        {
            var literal = domain[1..^1];
            return literal.StartsWith("IPv6:", StringComparison.Ordinal) ? IsIPv6(literal[5..]) : IsIPv4(literal);
        }

        return IsHostname(domain);
    }

    private static bool IsHostname(string text)
    {
        if (text.Length is 0 or > 253)
        {
            return false;
        }

        foreach (var label in text.Split('.'))
        {
            if (!HostnameLabelPattern().IsMatch(label) || !IdnLabels.IsValidALabel(label))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsIPv4(string text) =>
        IPv4Pattern().IsMatch(text) && IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetwork;

    private static bool IsIPv6(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c) && c is not (':' or '.'))
            {
                return false;
            }
        }

        // An embedded IPv4 part follows the ipv4 rules (no leading zeros), which the parser does not enforce.
        var lastColon = text.LastIndexOf(':');
        if (text.Contains('.', StringComparison.Ordinal) && !IPv4Pattern().IsMatch(text[(lastColon + 1)..]))
        {
            return false;
        }

        return text.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6;
    }

    /// <summary>Checks an IPv6 address for a URI's IP literal.</summary>
    internal static bool IsIPv6Literal(string text) => IsIPv6(text);

    private static bool IsJsonPointer(string text)
    {
        if (text.Length > 0 && text[0] != '/')
        {
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '~' && (i + 1 >= text.Length || text[i + 1] is not ('0' or '1')))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsRegex(string text)
    {
        try
        {
            _ = new Regex(text, RegexOptions.None, TimeSpan.FromSeconds(1));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}\z", RegexOptions.CultureInvariant)]
    private static partial Regex DatePattern();

    [GeneratedRegex(@"^(?<h>[0-9]{2}):(?<m>[0-9]{2}):(?<s>[0-9]{2})(\.[0-9]+)?([zZ]|(?<sign>[+-])(?<oh>[0-9]{2}):(?<om>[0-9]{2}))\z", RegexOptions.CultureInvariant)]
    private static partial Regex TimePattern();

    // RFC 3339 appendix A: a year runs into months and days only through the units between them; likewise hours.
    [GeneratedRegex(@"^P(?:(?:[0-9]+D|[0-9]+M(?:[0-9]+D)?|[0-9]+Y(?:[0-9]+M(?:[0-9]+D)?)?)(?:T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S))?|T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S)|[0-9]+W)\z", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\z", RegexOptions.CultureInvariant)]
    private static partial Regex UuidPattern();

    [GeneratedRegex(@"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IPv4Pattern();

    [GeneratedRegex(@"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)\z", RegexOptions.CultureInvariant)]
    private static partial Regex HostnameLabelPattern();

    [GeneratedRegex(@"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex DotAtomPattern();
}
