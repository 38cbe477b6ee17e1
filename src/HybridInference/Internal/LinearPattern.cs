using System.Text.RegularExpressions;

namespace HybridInference.Internal;

/// <summary>Checks a configured regular expression that is matched in linear time (<see cref="RegexOptions.NonBacktracking"/>).</summary>
internal static class LinearPattern
{
    /// <summary>Adds a problem, under <paramref name="key"/>, when <paramref name="pattern"/> is empty or is not a linear-time regular expression.</summary>
    /// <param name="pattern">The pattern.</param>
    /// <param name="key">Its configuration key, in <c>HybridInference:...</c> form.</param>
    /// <param name="errors">Where the problem goes.</param>
    /// <returns>Whether the pattern can be used.</returns>
    public static bool Check(string? pattern, string key, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            errors.Add($"{key} is empty; it would never match.");
            return false;
        }

        try
        {
            _ = new Regex(pattern, RegexOptions.NonBacktracking);
            return true;
        }
        catch (ArgumentException ex)
        {
            errors.Add($"{key} is not a valid regular expression: {ex.Message}");
        }
        catch (NotSupportedException ex)
        {
            errors.Add($"{key} uses a construct that linear-time matching does not support: {ex.Message}");
        }

        return false;
    }
}
