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
            "uri" => Uri.TryCreate(text, UriKind.Absolute, out _) && !text.Contains(' ', StringComparison.Ordinal) && HasScheme(text),
            "uri-reference" => Uri.TryCreate(text, UriKind.RelativeOrAbsolute, out _) && !text.Contains(' ', StringComparison.Ordinal) && !text.Contains('\\', StringComparison.Ordinal),
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
        if (local.StartsWith('.') || local.EndsWith('.') || local.Contains("..", StringComparison.Ordinal))
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
            if (!HostnameLabelPattern().IsMatch(label))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsIPv4(string text) =>
        IPv4Pattern().IsMatch(text) && IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetwork;

    private static bool IsIPv6(string text) =>
        !text.Contains('%', StringComparison.Ordinal) && text.Contains(':', StringComparison.Ordinal)
        && IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6;

    private static bool HasScheme(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && char.IsAsciiLetter(text[0]);
    }

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

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex DatePattern();

    [GeneratedRegex(@"^(?<h>\d{2}):(?<m>\d{2}):(?<s>\d{2})(\.\d+)?([zZ]|(?<sign>[+-])(?<oh>\d{2}):(?<om>\d{2}))$", RegexOptions.CultureInvariant)]
    private static partial Regex TimePattern();

    [GeneratedRegex(@"^P(?!$)((\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?|\d+W)$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", RegexOptions.CultureInvariant)]
    private static partial Regex UuidPattern();

    [GeneratedRegex(@"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$", RegexOptions.CultureInvariant)]
    private static partial Regex IPv4Pattern();

    [GeneratedRegex(@"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$", RegexOptions.CultureInvariant)]
    private static partial Regex HostnameLabelPattern();
}
