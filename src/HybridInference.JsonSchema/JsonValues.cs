using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace HybridInference.JsonSchema;

/// <summary>Reads instance values without allocating where the JSON allows it: numbers, string lengths, raw UTF-8.</summary>
internal static class JsonValues
{
    /// <summary>The longest string, in UTF-8 bytes, decoded on the stack rather than in a pooled buffer.</summary>
    public const int StackLimit = 256;

    /// <summary>Reads a number as a double; values beyond its range become infinities of their sign.</summary>
    public static double GetDouble(JsonElement number)
    {
        if (number.TryGetDouble(out var value))
        {
            return value;
        }

        return JsonMarshal.GetRawUtf8Value(number)[0] == (byte)'-' ? double.NegativeInfinity : double.PositiveInfinity;
    }

    /// <summary>Gets a value indicating whether a number has no fractional part (<c>1.0</c> is an integer).</summary>
    public static bool IsInteger(JsonElement number)
    {
        // Most numbers are plain digits: integral without parsing. Others are parsed.
        var raw = JsonMarshal.GetRawUtf8Value(number);
        if (raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0)
        {
            return true;
        }

        if (number.TryGetDecimal(out var d))
        {
            return decimal.Truncate(d) == d;
        }

        var value = GetDouble(number);
        return double.IsFinite(value) ? Math.Floor(value) == value : IsIntegerText(JsonMarshal.GetRawUtf8Value(number));
    }

    /// <summary>Gets the raw UTF-8 content of a string value, without quotes; escaped is true when it holds <c>\</c> escapes.</summary>
    public static ReadOnlySpan<byte> RawString(JsonElement value, out bool escaped)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        var content = raw[1..^1];
        escaped = content.Contains((byte)'\\');
        return content;
    }

    /// <summary>Gets the raw UTF-8 name of a property; escaped is true when it holds <c>\</c> escapes.</summary>
    public static ReadOnlySpan<byte> RawName(JsonProperty property, out bool escaped)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        escaped = raw.Contains((byte)'\\');
        return raw;
    }

    /// <summary>Counts the Unicode code points of a string value (what <c>minLength</c>/<c>maxLength</c> measure).</summary>
    public static int CodePointCount(JsonElement value)
    {
        var content = RawString(value, out var escaped);
        if (!escaped)
        {
            var count = 0;
            foreach (var b in content)
            {
                if ((b & 0xC0) != 0x80)
                {
                    count++;
                }
            }

            return count;
        }

        var text = value.GetString()!;
        var points = 0;
        for (var i = 0; i < text.Length; i++)
        {
            points++;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
        }

        return points;
    }

    /// <summary>Decodes UTF-8 into <paramref name="buffer"/> or, when it is too small, a pooled array returned in <paramref name="rented"/>.</summary>
    public static ReadOnlySpan<char> Decode(ReadOnlySpan<byte> utf8, Span<char> buffer, out char[]? rented)
    {
        rented = null;
        if (utf8.Length > buffer.Length)
        {
            rented = ArrayPool<char>.Shared.Rent(utf8.Length);
            buffer = rented;
        }

        var written = Encoding.UTF8.GetChars(utf8, buffer);
        return buffer[..written];
    }

    /// <summary>Gives back a buffer from <see cref="Decode"/>.</summary>
    public static void Release(char[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>Gets a value indicating whether <paramref name="value"/> is a multiple of <paramref name="divisor"/>.</summary>
    public static bool IsMultipleOf(JsonElement value, decimal? decimalDivisor, double divisor)
    {
        if (decimalDivisor is { } m && value.TryGetDecimal(out var d))
        {
            return d % m == 0;
        }

        var quotient = GetDouble(value) / divisor;
        return double.IsFinite(quotient) && Math.Floor(quotient) == quotient;
    }

    /// <summary>Shortens a value's JSON text for an error message.</summary>
    public static string Preview(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");
    }

    private static bool IsIntegerText(ReadOnlySpan<byte> number)
    {
        // An out-of-range number such as 1e400: integral when its exponent is at least its count of fraction digits.
        var e = number.IndexOfAny((byte)'e', (byte)'E');
        var mantissa = e < 0 ? number : number[..e];
        var dot = mantissa.IndexOf((byte)'.');
        var fraction = dot < 0 ? 0 : mantissa.Length - dot - 1;
        var exponent = e < 0 ? 0 : int.Parse(Encoding.ASCII.GetString(number[(e + 1)..]), System.Globalization.CultureInfo.InvariantCulture);
        return exponent >= fraction;
    }
}
