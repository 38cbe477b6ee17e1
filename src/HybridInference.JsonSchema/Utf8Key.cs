namespace HybridInference.JsonSchema;

/// <summary>Compares UTF-8 byte strings by content, and lets a dictionary keyed by them be searched with a span.</summary>
internal sealed class Utf8KeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    /// <summary>Gets the comparer.</summary>
    public static Utf8KeyComparer Instance { get; } = new();

    /// <inheritdoc />
    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    /// <inheritdoc />
    public int GetHashCode(byte[] obj) => Hash(obj);

    /// <inheritdoc />
    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    /// <inheritdoc />
    public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

    /// <inheritdoc />
    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

    /// <summary>
    /// Hashes the length and at most 128 sampled bytes (the first and last 64), so that hashing a large schema costs
    /// no more than a small one; equality then compares every byte.
    /// </summary>
    private static int Hash(ReadOnlySpan<byte> bytes)
    {
        var hash = new HashCode();
        hash.Add(bytes.Length);
        if (bytes.Length <= 128)
        {
            hash.AddBytes(bytes);
        }
        else
        {
            hash.AddBytes(bytes[..64]);
            hash.AddBytes(bytes[^64..]);
        }

        return hash.ToHashCode();
    }
}

/// <summary>The subschemas of a <c>properties</c> keyword, found by an instance's raw UTF-8 member name.</summary>
internal sealed class PropertyTable
{
    private const int LinearLimit = 8;
    private readonly byte[][] _names;
    private readonly Dictionary<byte[], int>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly bool _hashed;

    /// <summary>Initializes a new instance of the <see cref="PropertyTable"/> class.</summary>
    public PropertyTable(string[] names, SchemaNode[] schemas)
    {
        Names = names;
        Schemas = schemas;
        _names = Array.ConvertAll(names, System.Text.Encoding.UTF8.GetBytes);
        _hashed = names.Length > LinearLimit;
        var map = new Dictionary<byte[], int>(Utf8KeyComparer.Instance);
        for (var i = 0; i < _names.Length; i++)
        {
            map.TryAdd(_names[i], i);
        }

        _lookup = map.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Gets the property names.</summary>
    public string[] Names { get; }

    /// <summary>Gets the subschema of each name, in the same order.</summary>
    public SchemaNode[] Schemas { get; }

    /// <summary>Finds the position of the unescaped UTF-8 name <paramref name="name"/>; -1 when absent.</summary>
    public int IndexOf(ReadOnlySpan<byte> name)
    {
        if (_hashed)
        {
            return _lookup.TryGetValue(name, out var index) ? index : -1;
        }

        var names = _names;
        for (var i = 0; i < names.Length; i++)
        {
            if (name.SequenceEqual(names[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Gets the UTF-8 name at <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Utf8Name(int index) => _names[index];
}

/// <summary>Reads instance member names as UTF-8.</summary>
internal static class Utf8Names
{
    /// <summary>Gets the unescaped UTF-8 name of <paramref name="property"/>, allocating only when the JSON escapes it.</summary>
    public static ReadOnlySpan<byte> Unescaped(System.Text.Json.JsonProperty property)
    {
        var raw = JsonValues.RawName(property, out var escaped);
        return escaped ? System.Text.Encoding.UTF8.GetBytes(property.Name) : raw;
    }
}
