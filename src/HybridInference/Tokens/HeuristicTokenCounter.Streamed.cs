using System.Buffers;
using System.Runtime.Intrinsics;

namespace HybridInference.Tokens;

/// <summary>The estimate of a text that arrives in pieces.</summary>
internal sealed partial class HeuristicTokenCounter
{
    /// <summary>
    /// The estimate of a text that arrives in pieces (a streamed answer): the same count as
    /// <see cref="CountText(ReadOnlySpan{char})"/> of the whole text, however it was split, made a block of 64 characters
    /// at a time as the pieces fill it, so that a piece of a few characters costs a copy rather than a block's work.
    /// </summary>
    /// <remarks>A mutable struct: keep it in a field and call it there. Not thread-safe. <see cref="Release"/> returns its buffer.</remarks>
    internal struct Streamed
    {
        private char[]? _block;
        private int _filled;
        private EstimateState _state;

        /// <summary>Adds the next piece of the text.</summary>
        /// <param name="text">The piece.</param>
        public void Append(ReadOnlySpan<char> text)
        {
            if (!Vector128.IsHardwareAccelerated)
            {
                CountPerCharacter(text, ref _state);
                return;
            }

            var wide = Vector256.IsHardwareAccelerated;
            if (_filled > 0)
            {
                var taken = Math.Min(text.Length, BlockLength - _filled);
                text[..taken].CopyTo(_block.AsSpan(_filled));
                _filled += taken;
                text = text[taken..];
                if (_filled < BlockLength)
                {
                    return;
                }

                CountBlock(_block.AsSpan(0, BlockLength), ref _state, ulong.MaxValue, wide);
                _filled = 0;
            }

            for (; text.Length >= BlockLength; text = text[BlockLength..])
            {
                CountBlock(text[..BlockLength], ref _state, ulong.MaxValue, wide);
            }

            if (!text.IsEmpty)
            {
                _block ??= ArrayPool<char>.Shared.Rent(BlockLength);
                text.CopyTo(_block);
                _filled = text.Length;
            }
        }

        /// <summary>Gets the estimate of the text so far, as if it ended here; more pieces may follow.</summary>
        /// <returns>The estimated number of tokens.</returns>
        public readonly int Total()
        {
            var state = _state;
            if (_filled > 0)
            {
                var last = _block.AsSpan(0, BlockLength);
                last[_filled..].Clear();
                CountBlock(last, ref state, (1UL << _filled) - 1, Vector256.IsHardwareAccelerated, (_filled + 15) & ~15);
            }

            return state.Total;
        }

        /// <summary>Returns the buffer to the pool; the estimate starts again from nothing.</summary>
        public void Release()
        {
            if (_block is { } block)
            {
                _block = null;
                ArrayPool<char>.Shared.Return(block);
            }

            _filled = 0;
            _state = default;
        }
    }
}
