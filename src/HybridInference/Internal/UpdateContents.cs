using System.Runtime.InteropServices;
using Microsoft.Extensions.AI;

namespace HybridInference.Internal;

/// <summary>Reads the contents of a streamed update without an interface call per item.</summary>
internal static class UpdateContents
{
    /// <summary>
    /// Gets the update's contents as a span: its own list when it is a <see cref="List{T}"/> (as
    /// Microsoft.Extensions.AI makes it), or a copy of whatever other list a caller assigned.
    /// </summary>
    /// <param name="update">The update to read.</param>
    /// <returns>The contents, in order; valid until the update's contents change.</returns>
    public static ReadOnlySpan<AIContent> Of(ChatResponseUpdate update) =>
        update.Contents is List<AIContent> list ? CollectionsMarshal.AsSpan(list) : update.Contents.ToArray();
}
