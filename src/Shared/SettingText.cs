using System.Globalization;

namespace HybridInference.Http;

/// <summary>Writes settings the way they are written in configuration, for error messages that name them.</summary>
internal static class SettingText
{
    /// <summary>Writes a time span as configuration writes it: <c>00:00:30</c>, <c>00:00:00.5</c>.</summary>
    /// <param name="value">The time span.</param>
    /// <returns>The text.</returns>
    public static string Of(TimeSpan value) =>
        value.Days > 0 || value < TimeSpan.Zero ? value.ToString("c", CultureInfo.InvariantCulture)
        : value.Ticks % TimeSpan.TicksPerSecond == 0 ? value.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture)
        : value.ToString(@"hh\:mm\:ss\.FFFFFFF", CultureInfo.InvariantCulture);

    /// <summary>Describes a timeout and the setting that holds it: <c>0.5 s, HybridInference:Local:Backends:0:Timeout (backend 'a') = 00:00:00.5</c>.</summary>
    /// <param name="timeout">The timeout.</param>
    /// <param name="setting">Where it is set.</param>
    /// <returns>The text.</returns>
    public static string Timeout(TimeSpan timeout, string setting) =>
        $"{timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s, {setting} = {Of(timeout)}";
}
