using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace HybridInference.DependencyInjection;

/// <summary>
/// Walks a configuration section against the options type it is bound to and reports every value the binder cannot
/// use, each under its full key (<c>HybridInference:Cloud:Backends:0:Weight</c>): values that do not convert to the
/// property's type, undefined enum values (<c>"7"</c>, or a list such as <c>"Routine, Complex"</c>), non-finite numbers
/// (<c>1e309</c> reads as infinity), and a single value where a section is expected or the other way round.
/// </summary>
/// <remarks>
/// The binder throws for such a value in a plain property, but inside a collection element (a backend, a rule, a
/// price, a pattern) it drops the whole element without a word; one bad <c>Weight</c> on the only cloud backend would
/// leave the app without a cloud. This check runs at start-up, before anything is served, so every such key stops
/// start-up with the others. Values are never quoted (a misplaced key must not reach a log). The same walk finds the
/// keys nothing reads (<see cref="Check(IConfiguration, Type, IReadOnlyDictionary{string, Type}?, List{string}?)"/>):
/// a key no options type has, where sections that other packages bind themselves (the SQLite ledger's) are checked
/// against the type they are bound to. It reads the same public properties the reflection-based binder binds, once
/// per start-up and reload.
/// </remarks>
internal static class ConfigurationValueCheck
{
    /// <summary>Checks <paramref name="section"/> against <paramref name="optionsType"/>.</summary>
    /// <param name="section">The section the options are bound from.</param>
    /// <param name="optionsType">The options type.</param>
    /// <returns>Every problem, each starting with its key; empty when the section binds cleanly.</returns>
    public static List<string> Check(IConfiguration section, Type optionsType) => Check(section, optionsType, null, null);

    /// <summary>Checks <paramref name="section"/> against <paramref name="optionsType"/>, and lists the keys nothing reads.</summary>
    /// <param name="section">The section the options are bound from.</param>
    /// <param name="optionsType">The options type.</param>
    /// <param name="boundElsewhere">
    /// Sections under <paramref name="section"/> that another package binds to a type of its own, by full path (any
    /// case); their keys are checked against that type.
    /// </param>
    /// <param name="unknownKeys">
    /// Where each key no options type has goes, as a sentence that names its full key and the nearest known key, if
    /// one is close; <see langword="null"/> not to look for them.
    /// </param>
    /// <returns>Every value that cannot be bound, each starting with its key; empty when the section binds cleanly.</returns>
    public static List<string> Check(IConfiguration section, Type optionsType, IReadOnlyDictionary<string, Type>? boundElsewhere, List<string>? unknownKeys)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(optionsType);
        var walk = new Walk([], unknownKeys, boundElsewhere);
        var path = section is IConfigurationSection named ? named.Path : string.Empty;
        CheckNode(section, path, null, optionsType, walk);
        return walk.Errors;
    }

    private static void CheckNode(IConfiguration node, string path, string? value, Type type, Walk walk)
    {
        var errors = walk.Errors;
        var target = Nullable.GetUnderlyingType(type) ?? type;
        var hasChildren = node.GetChildren().Any();
        if (IsScalar(target))
        {
            if (value is null)
            {
                if (hasChildren)
                {
                    errors.Add($"{path} is a section, but a single value ({Expected(target)}) is expected.");
                }

                return;
            }

            CheckScalar(path, value, target, nullable: target != type || !target.IsValueType, errors);
            return;
        }

        if (!string.IsNullOrEmpty(value) && !hasChildren)
        {
            errors.Add($"{path} is a single value, but a section ({Describe(target)}) is expected.");
            return;
        }

        if (DictionaryValueType(target) is { } valueType)
        {
            foreach (var child in node.GetChildren())
            {
                CheckNode(child, child.Path, child.Value, valueType, walk);
            }
        }
        else if (ElementType(target) is { } elementType)
        {
            foreach (var child in node.GetChildren())
            {
                CheckNode(child, child.Path, child.Value, elementType, walk);
            }
        }
        else
        {
            foreach (var child in node.GetChildren())
            {
                if (FindProperty(target, child.Key) is { } property)
                {
                    CheckNode(child, child.Path, child.Value, property.PropertyType, walk);
                }
                else if (walk.BoundElsewhere?.TryGetValue(child.Path, out var boundType) == true)
                {
                    CheckNode(child, child.Path, child.Value, boundType, walk);
                }
                else
                {
                    walk.UnknownKeys?.Add(UnknownKeys.Describe(child.Path, target, walk.BoundElsewhere));
                }
            }
        }
    }

    private static void CheckScalar(string path, string value, Type type, bool nullable, List<string> errors)
    {
        if (type == typeof(string) || type == typeof(object) || (nullable && value.Length == 0))
        {
            return; // The binder reads an empty value as null where null is allowed.
        }

        object? converted;
        try
        {
            converted = TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException or OverflowException or InvalidOperationException)
        {
            errors.Add($"{path} cannot be read as {Expected(type)}.");
            return;
        }

        if (type.IsEnum && (converted is null || !Enum.IsDefined(type, converted) || (value.Contains(',', StringComparison.Ordinal) && !type.IsDefined(typeof(FlagsAttribute)))))
        {
            errors.Add($"{path} is not {Expected(type)}.");
        }
        else if (converted is double real && !double.IsFinite(real))
        {
            errors.Add($"{path} must be a finite number; it reads as {real.ToString(CultureInfo.InvariantCulture)}.");
        }
        else if (converted is float single && !float.IsFinite(single))
        {
            errors.Add($"{path} must be a finite number; it reads as {single.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    private static bool IsScalar(Type type) =>
        type == typeof(string) || type == typeof(object) || type.IsEnum || type.IsPrimitive || type == typeof(decimal)
        || (!typeof(System.Collections.IEnumerable).IsAssignableFrom(type) && TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string)));

    private static Type? DictionaryValueType(Type type) =>
        GenericInterface(type, typeof(IDictionary<,>)) is { } dictionary ? dictionary.GetGenericArguments()[1]
        : GenericInterface(type, typeof(IReadOnlyDictionary<,>)) is { } readOnly ? readOnly.GetGenericArguments()[1]
        : null;

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : GenericInterface(type, typeof(IEnumerable<>)) is { } enumerable ? enumerable.GetGenericArguments()[0]
        : null;

    private static Type? GenericInterface(Type type, Type definition)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == definition)
        {
            return type;
        }

        foreach (var candidate in type.GetInterfaces())
        {
            if (candidate.IsGenericType && candidate.GetGenericTypeDefinition() == definition)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The property the binder would bind <paramref name="key"/> to: public, instance, readable, matched without regard to case.</summary>
    private static PropertyInfo? FindProperty(Type type, string key)
    {
        foreach (var property in BindableProperties(type))
        {
            if (string.Equals(property.Name, key, StringComparison.OrdinalIgnoreCase))
            {
                return property;
            }
        }

        return null;
    }

    /// <summary>The properties the binder binds on <paramref name="type"/>: public, instance, readable, not indexers.</summary>
    internal static IEnumerable<PropertyInfo> BindableProperties(Type type)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetMethod is not null && property.GetIndexParameters().Length == 0)
            {
                yield return property;
            }
        }
    }

    private static string Expected(Type type) => type switch
    {
        _ when type.IsEnum => $"one of {string.Join(", ", Enum.GetNames(type))} (a name in any case, or its number)",
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(byte)
            => $"a whole number from {MinMax(type)}",
        _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number such as 0.25",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(TimeSpan) => "a time span such as 00:00:30 (hh:mm:ss, or d.hh:mm:ss)",
        _ when type == typeof(Uri) => "a URL such as http://localhost:8000/v1",
        _ => $"a {type.Name}",
    };

    private static string MinMax(Type type) => type == typeof(int) ? $"{int.MinValue} to {int.MaxValue}"
        : type == typeof(long) ? $"{long.MinValue} to {long.MaxValue}"
        : $"{type.GetField("MinValue")?.GetValue(null)} to {type.GetField("MaxValue")?.GetValue(null)}";

    private static string Describe(Type type) =>
        DictionaryValueType(type) is not null ? "named entries"
        : ElementType(type) is not null ? "a list"
        : $"the keys of {type.Name}";

    /// <summary>What one walk collects, and the sections other packages bind.</summary>
    private sealed record Walk(List<string> Errors, List<string>? UnknownKeys, IReadOnlyDictionary<string, Type>? BoundElsewhere);
}
