namespace HybridInference.Tokens;

/// <summary>
/// What <see cref="HeuristicTokenCounter"/> carries from one character (or block of 64) to the next: the runs that go
/// on, the classes of the two characters before, and the counts so far.
/// </summary>
internal struct EstimateState
{
    /// <summary>Set in <see cref="Last"/> when the character before is a line break.</summary>
    public const uint NewlineBefore = 1 << 1;

    /// <summary>Set in <see cref="Last"/> when the character before is ASCII punctuation.</summary>
    public const uint PunctuationBefore = 1 << 3;

    /// <summary>Set in <see cref="Last"/> when the character two before is a blank (space or tab).</summary>
    public const uint BlankTwoBefore = 1 << 4;

    /// <summary>Set in <see cref="Last"/> when the character before is a blank (space or tab).</summary>
    public const uint BlankBefore = 1 << 5;

    /// <summary>Set in <see cref="Last"/> when the character before is a space.</summary>
    public const uint SpaceBefore = 1 << 7;

    /// <summary>The length of the run of letters the next character would continue.</summary>
    public int Letters;

    /// <summary>The length of the run of digits the next character would continue.</summary>
    public int Digits;

    /// <summary>The length of the run of ASCII punctuation the next character would continue.</summary>
    public int Punctuation;

    /// <summary>
    /// Two bits per class (line break, punctuation, blank, space, at bits 0, 2, 4, 6): the higher one for the
    /// character before, the lower one for the character two before.
    /// </summary>
    public uint Last;

    /// <summary>Whole tokens counted so far.</summary>
    public int Tokens;

    /// <summary>Eighths of tokens counted so far (the fixed shares of non-ASCII characters).</summary>
    public int Eighths;

    /// <summary>Gets the estimate: whole tokens, and the eighths rounded up.</summary>
    public readonly int Total => Tokens + ((Eighths + 7) / 8);

    /// <summary>Moves on past a character of the given class.</summary>
    /// <param name="kind">The character's class.</param>
    public void Shift(HeuristicTokenCounter.CharKind kind)
    {
        uint flags = kind switch
        {
            HeuristicTokenCounter.CharKind.Newline => 1,
            HeuristicTokenCounter.CharKind.Punctuation => 1 << 2,
            HeuristicTokenCounter.CharKind.Space => (1 << 4) | (1 << 6),
            HeuristicTokenCounter.CharKind.Tab => 1 << 4,
            _ => 0,
        };
        Last = ((Last >> 1) & 0b0101_0101) | (flags << 1);
    }
}
