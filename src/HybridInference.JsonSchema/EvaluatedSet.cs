namespace HybridInference.JsonSchema;

/// <summary>
/// Which members of one object (by property position) or items of one array (by index) some keyword has evaluated:
/// the annotations <c>unevaluatedProperties</c> and <c>unevaluatedItems</c> depend on. Only schemas that use those
/// keywords pay for one; the evaluation context pools them.
/// </summary>
internal sealed class EvaluatedSet
{
    private ulong[] _bits = new ulong[1];

    /// <summary>Clears the set for an instance with <paramref name="count"/> members or items.</summary>
    public void Reset(int count)
    {
        Count = count;
        var words = Math.Max(1, (count + 63) >> 6);
        if (_bits.Length < words)
        {
            _bits = new ulong[words];
        }
        else
        {
            Array.Clear(_bits, 0, words);
        }
    }

    /// <summary>Gets the number of members or items of the instance the set is for.</summary>
    public int Count { get; private set; }

    /// <summary>Marks the member or item at <paramref name="index"/> as evaluated.</summary>
    public void Mark(int index) => _bits[index >> 6] |= 1UL << (index & 63);

    /// <summary>Gets a value indicating whether the member or item at <paramref name="index"/> was evaluated.</summary>
    public bool IsMarked(int index) => (_bits[index >> 6] & (1UL << (index & 63))) != 0;

    /// <summary>Adds every index of <paramref name="other"/>, a set for the same instance.</summary>
    public void UnionWith(EvaluatedSet other)
    {
        var words = Math.Max(1, (Count + 63) >> 6);
        for (var i = 0; i < words; i++)
        {
            _bits[i] |= other._bits[i];
        }
    }
}
