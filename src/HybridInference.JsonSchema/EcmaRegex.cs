using System.Text;
using System.Text.RegularExpressions;

namespace HybridInference.JsonSchema;

/// <summary>
/// Builds .NET regular expressions from the ECMA-262 patterns JSON Schema uses. ECMA-262's Unicode property escapes
/// take long names (<c>\p{Letter}</c>, <c>\p{General_Category=Decimal_Number}</c>) that .NET spells short
/// (<c>\p{L}</c>, <c>\p{Nd}</c>); they are rewritten. Patterns .NET's ECMAScript option accepts use it, so that
/// <c>\d</c> and <c>\w</c> stay ASCII as ECMA-262 defines them.
/// </summary>
internal static class EcmaRegex
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(JsonSchemaDefaults.PatternTimeoutMilliseconds);

    private static readonly Dictionary<string, string> Categories = new(StringComparer.Ordinal)
    {
        ["Letter"] = "L", ["Uppercase_Letter"] = "Lu", ["Lowercase_Letter"] = "Ll", ["Titlecase_Letter"] = "Lt",
        ["Modifier_Letter"] = "Lm", ["Other_Letter"] = "Lo", ["Mark"] = "M", ["Combining_Mark"] = "M",
        ["Nonspacing_Mark"] = "Mn", ["Spacing_Mark"] = "Mc", ["Enclosing_Mark"] = "Me", ["Number"] = "N",
        ["Decimal_Number"] = "Nd", ["digit"] = "Nd", ["Letter_Number"] = "Nl", ["Other_Number"] = "No",
        ["Punctuation"] = "P", ["punct"] = "P", ["Connector_Punctuation"] = "Pc", ["Dash_Punctuation"] = "Pd",
        ["Open_Punctuation"] = "Ps", ["Close_Punctuation"] = "Pe", ["Initial_Punctuation"] = "Pi",
        ["Final_Punctuation"] = "Pf", ["Other_Punctuation"] = "Po", ["Symbol"] = "S", ["Math_Symbol"] = "Sm",
        ["Currency_Symbol"] = "Sc", ["Modifier_Symbol"] = "Sk", ["Other_Symbol"] = "So", ["Separator"] = "Z",
        ["Space_Separator"] = "Zs", ["Line_Separator"] = "Zl", ["Paragraph_Separator"] = "Zp", ["Other"] = "C",
        ["Control"] = "Cc", ["cntrl"] = "Cc", ["Format"] = "Cf", ["Surrogate"] = "Cs", ["Private_Use"] = "Co",
        ["Unassigned"] = "Cn",
    };

    /// <summary>Compiles <paramref name="pattern"/>; matches time out after a fixed limit.</summary>
    /// <exception cref="ArgumentException">The pattern is not a valid regular expression.</exception>
    public static Regex Create(string pattern)
    {
        var translated = Translate(pattern);
        try
        {
            return new Regex(translated, RegexOptions.ECMAScript | RegexOptions.CultureInvariant, Timeout);
        }
        catch (ArgumentException)
        {
            // Constructs the ECMAScript option rejects (\p{...}, lookbehind) are read in .NET's own dialect.
            return new Regex(translated, RegexOptions.CultureInvariant, Timeout);
        }
    }

    private static string Translate(string pattern)
    {
        if (!pattern.Contains("\\p{", StringComparison.Ordinal) && !pattern.Contains("\\P{", StringComparison.Ordinal))
        {
            return pattern;
        }

        var result = new StringBuilder(pattern.Length);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c != '\\' || i + 1 >= pattern.Length)
            {
                result.Append(c);
                continue;
            }

            var next = pattern[i + 1];
            var close = pattern.IndexOf('}', i + 2);
            if (next is 'p' or 'P' && i + 2 < pattern.Length && pattern[i + 2] == '{' && close > 0)
            {
                var name = pattern[(i + 3)..close];
                var equals = name.IndexOf('=', StringComparison.Ordinal);
                if (equals >= 0 && name[..equals] is "General_Category" or "gc")
                {
                    name = name[(equals + 1)..];
                }

                result.Append('\\').Append(next).Append('{').Append(Categories.GetValueOrDefault(name, name)).Append('}');
                i = close;
                continue;
            }

            result.Append(c).Append(next);
            i++;
        }

        return result.ToString();
    }
}
